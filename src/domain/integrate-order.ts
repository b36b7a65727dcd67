import { parseCommitMessage } from './protocol.js';
import { findCycle } from './validate-plan.js';

/** One reason a worker must be merged after another: `from` needs `to` first. */
export interface OrderEdge {
  /** The dependent worker. */
  from: string;
  /** The provider, merged first. */
  to: string;
  /** `dependsOn`, or the NEEDS item (`NEEDS:db/schema`) that created the edge. */
  reason: string;
}

export type IntegrateOrder =
  { ok: true; order: string[] } | { ok: false; cycle: OrderEdge[]; text: string };

/**
 * The ordering edges between workers: every `dependsOn` of the plan and every
 * NEEDS a worker ever committed (open or resolved: the provider's work is
 * what the needer built on). Messages are read with the one protocol parser.
 */
export function collectOrderEdges(
  workers: readonly { id: string; dependsOn: readonly string[] }[],
  messagesByWorker: ReadonlyMap<string, readonly string[]>,
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
    for (const message of messagesByWorker.get(worker.id) ?? []) {
      const parsed = parseCommitMessage(message, { workers: ids, self: worker.id });
      if (parsed.type !== 'protocol' || parsed.header.kind !== 'NEEDS') continue;
      add({
        from: worker.id,
        to: parsed.header.worker,
        reason: `NEEDS:${parsed.header.worker}/${parsed.header.item}`,
      });
    }
  }
  return edges;
}

/**
 * Topological order of `ids` (the plan's order) over `edges`, providers first,
 * ties broken by plan order: at each turn the earliest worker in the plan whose
 * providers are all placed goes next. Edges to workers outside `ids` are ignored
 * (they are integrated already, or not part of this run).
 */
export function planIntegrateOrder(
  ids: readonly string[],
  edges: readonly OrderEdge[],
): IntegrateOrder {
  const inSet = new Set(ids);
  const providers = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const edge of edges) {
    if (inSet.has(edge.from) && inSet.has(edge.to)) providers.get(edge.from)!.push(edge.to);
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
        const edge = edges.find((e) => e.from === nodes[i] && e.to === nodes[i + 1]);
        if (edge) cycle.push(edge);
      }
      return { ok: false, cycle, text: describeCycle(cycle) };
    }
    placed.add(next);
    order.push(next);
  }
  return { ok: true, order };
}

/** `api -(NEEDS:db/schema)-> db -(dependsOn)-> api`. */
export function describeCycle(cycle: readonly OrderEdge[]): string {
  if (cycle.length === 0) return '(no cycle)';
  return `${cycle[0]!.from}${cycle.map((edge) => ` -(${edge.reason})-> ${edge.to}`).join('')}`;
}
