import { parseCommitMessage } from '../protocol/protocol.js';
import { findCycle } from '../plan/validate-plan.js';

/** One reason a worker must be merged after another: `from` needs `to` first. */
export interface OrderEdge {
  /** The dependent worker. */
  from: string;
  /** The provider, merged first. */
  to: string;
  /** `dependsOn`, or the NEEDS item (`NEEDS:db/schema`) that created the edge. */
  reason: string;
}

/** A NEEDS edge that does not order the merge, because the plan declares the opposite order. */
export interface OverriddenNeed {
  edge: OrderEdge;
  /** The chain of `dependsOn` edges that puts `edge.to` after `edge.from`. */
  declared: OrderEdge[];
}

export type IntegrateOrder =
  | { ok: true; order: string[]; overridden: OverriddenNeed[] }
  | { ok: false; cycle: OrderEdge[]; text: string; overridden: OverriddenNeed[] };

/** A NEEDS a worker committed: the provider and the item. */
export interface NeedRef {
  worker: string;
  item: string;
}

/** The NEEDS in a worker's commit messages, read with the one protocol parser (unknown workers and itself left out). */
export function needsInMessages(
  messages: readonly string[],
  workers: readonly string[],
  self: string,
): NeedRef[] {
  const needs: NeedRef[] = [];
  for (const message of messages) {
    const parsed = parseCommitMessage(message, { workers, self });
    if (parsed.type !== 'protocol' || parsed.header.kind !== 'NEEDS') continue;
    needs.push({ worker: parsed.header.worker, item: parsed.header.item });
  }
  return needs;
}

/**
 * The ordering edges between workers: every `dependsOn` of the plan and every
 * NEEDS a worker ever committed (open or resolved: the provider's work is
 * what the needer built on), from the NEEDS each worker committed. `pw status`
 * passes the NEEDS its history summaries hold; integrate reads them from the
 * messages (collectOrderEdges).
 */
export function orderEdgesFromNeeds(
  workers: readonly { id: string; dependsOn: readonly string[] }[],
  needsByWorker: ReadonlyMap<string, readonly NeedRef[]>,
): OrderEdge[] {
  const ids = workers.map((w) => w.id);
  const edges: OrderEdge[] = [];
  const seen = new Set<string>();
  const add = (edge: OrderEdge): void => {
    const key = `${edge.from}\0${edge.to}`;
    if (seen.has(key) || edge.from === edge.to || !ids.includes(edge.to)) return;
    seen.add(key);
    edges.push(edge);
  };
  for (const worker of workers) {
    for (const provider of worker.dependsOn)
      add({ from: worker.id, to: provider, reason: 'dependsOn' });
  }
  for (const worker of workers) {
    for (const need of needsByWorker.get(worker.id) ?? []) {
      add({ from: worker.id, to: need.worker, reason: `NEEDS:${need.worker}/${need.item}` });
    }
  }
  return edges;
}

/** orderEdgesFromNeeds over each worker's commit messages. */
export function collectOrderEdges(
  workers: readonly { id: string; dependsOn: readonly string[] }[],
  messagesByWorker: ReadonlyMap<string, readonly string[]>,
): OrderEdge[] {
  const ids = workers.map((w) => w.id);
  return orderEdgesFromNeeds(
    workers,
    new Map(
      workers.map((w) => [w.id, needsInMessages(messagesByWorker.get(w.id) ?? [], ids, w.id)]),
    ),
  );
}

/** A chain of `dependsOn` edges from `start` to `goal` (breadth first), or null. */
function declaredPath(
  start: string,
  goal: string,
  declared: readonly OrderEdge[],
): OrderEdge[] | null {
  const via = new Map<string, OrderEdge>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length) {
    const node = queue.shift()!;
    if (node === goal) {
      const path: OrderEdge[] = [];
      for (let at = goal; at !== start; at = via.get(at)!.from) path.unshift(via.get(at)!);
      return path;
    }
    for (const edge of declared.filter((e) => e.from === node && !seen.has(e.to))) {
      seen.add(edge.to);
      via.set(edge.to, edge);
      queue.push(edge.to);
    }
  }
  return null;
}

/** Every worker `start` comes after through `dependsOn`, directly or not. */
function declaredReach(start: string, declared: readonly OrderEdge[]): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length) {
    const node = queue.shift()!;
    for (const edge of declared) {
      if (edge.from !== node || seen.has(edge.to)) continue;
      seen.add(edge.to);
      queue.push(edge.to);
    }
  }
  return seen;
}

/**
 * The merge order of `ids` (the plan's order) over `edges`, providers first,
 * ties broken by plan order: at each turn the earliest worker in the plan whose
 * providers are all placed goes next. Edges to workers outside `ids` are ignored
 * (they are integrated already, or not part of this run).
 *
 * The plan's `dependsOn` is the declared order (setup refuses a cycle in it)
 * and wins: a NEEDS edge against it (the provider, through `dependsOn`, comes
 * after the needer) is not used for the order and is returned in `overridden`,
 * for a warning. A cycle that is left (one that NEEDS edges alone make) has no
 * order the workers agree on: an error that names each edge.
 *
 * The one rule for the order: `pw integrate` merges by it, and `pw status` and
 * `pw wait` say "ready to integrate" only when it has no cycle.
 */
export function planIntegrateOrder(
  ids: readonly string[],
  edges: readonly OrderEdge[],
): IntegrateOrder {
  const inSet = new Set(ids);
  const declared = edges.filter((e) => e.reason === 'dependsOn');
  const overridden: OverriddenNeed[] = [];
  const used: OrderEdge[] = [];
  for (const edge of edges) {
    if (!inSet.has(edge.from) || !inSet.has(edge.to)) continue;
    const against = edge.reason === 'dependsOn' ? null : declaredPath(edge.to, edge.from, declared);
    if (against) overridden.push({ edge, declared: against });
    else used.push(edge);
  }
  const providers = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of used) providers.get(edge.from)!.push(edge.to);
  // The declared order also holds through workers outside this run: a dependsOn b dependsOn c
  // puts c before a even when b is integrated already or not selected.
  for (const from of ids) {
    const reach = declaredReach(from, declared);
    for (const to of ids) {
      if (from !== to && reach.has(to) && !providers.get(from)!.includes(to))
        providers.get(from)!.push(to);
    }
  }
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < ids.length) {
    const next = ids.find(
      (id) => !placed.has(id) && providers.get(id)!.every((provider) => placed.has(provider)),
    );
    if (next === undefined) {
      const rest = new Map([...providers].filter(([id]) => !placed.has(id)));
      const nodes = findCycle(rest) ?? [...rest.keys()];
      const cycle: OrderEdge[] = [];
      for (let i = 0; i + 1 < nodes.length; i++) {
        const edge = used.find((e) => e.from === nodes[i] && e.to === nodes[i + 1]);
        cycle.push(...(edge ? [edge] : (declaredPath(nodes[i]!, nodes[i + 1]!, declared) ?? [])));
      }
      return { ok: false, cycle, text: describeCycle(cycle), overridden };
    }
    placed.add(next);
    order.push(next);
  }
  return { ok: true, order, overridden };
}

/** `api -(NEEDS:db/schema)-> db -(dependsOn)-> api`. */
export function describeCycle(cycle: readonly OrderEdge[]): string {
  if (cycle.length === 0) return '(no cycle)';
  return `${cycle[0]!.from}${cycle.map((edge) => ` -(${edge.reason})-> ${edge.to}`).join('')}`;
}

/** `api's NEEDS:web/page-url does not order the merge: the plan declares web -(dependsOn)-> api`. */
export function describeOverridden(overridden: OverriddenNeed): string {
  const { edge, declared } = overridden;
  return `${edge.from}'s ${edge.reason} does not order the merge: the plan declares ${describeCycle(declared)}, so ${edge.from} goes first (the declared order wins)`;
}

/** What to do about an order cycle, for integrate's refusal and for status and wait. */
export function orderCycleHints(cycle: readonly OrderEdge[]): string[] {
  // A NEEDS edge of the cycle: declaring it cannot close a dependsOn cycle (else it would be overridden).
  const need = cycle.find((e) => e.reason !== 'dependsOn') ?? cycle[0];
  return [
    'Integrate merges a provider before the workers that need it, so a cycle has no order.',
    `Declare which goes first: add dependsOn to one of them in the plan and run pw setup with it again (the declared order wins over NEEDS)${need ? `, e.g. dependsOn: [${need.to}] for ${need.from}` : ''}.`,
    `Or integrate one side first, without the other (pw integrate --only ${need?.to ?? '<worker>'} --allow-missing-providers), then the rest.`,
  ];
}
