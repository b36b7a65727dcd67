/**
 * Findings: what the figures say to do differently next time. Each rule looks
 * at the computed retrospective, and every candidate carries its evidence
 * (commits, times, figures) and one concrete change for the next plan. The
 * weight is roughly the share of the wall time at stake, so the findings that
 * cost most come first. Pure.
 */
import { formatDuration } from '../plan/duration.js';
import type { NeedRetro, Retro, WorkerRetro } from './retro.js';
import { findCycle } from '../plan/validate-plan.js';
import { findNeedsCycles as findStatusNeedsCycles } from '../status/plan-status.js';

export interface Finding {
  /** Which rule found it: `needs-wait`, `blocked`, `stalls`, `imbalance`, ... */
  kind: string;
  title: string;
  evidence: string[];
  suggestion: string;
  /** How much it matters, for ordering; roughly the share of the wall time at stake. */
  weight: number;
}

export const MIN_FINDINGS = 3;
export const MAX_FINDINGS = 6;
/** No more than this many findings of one kind, so one problem does not crowd out the rest. */
const MAX_PER_KIND = 2;
/** Time below this is noise, not a finding. */
const MIN_TIME_MS = 60_000;

type RetroFigures = Omit<Retro, 'findings'>;

const short = (sha: string): string => sha.slice(0, 7);
const d = formatDuration;
const pct = (ratio: number): string =>
  ratio > 0 && ratio < 0.005 ? '<1%' : `${Math.round(ratio * 100)}%`;
const times = (n: number, word: string, plural = `${word}s`): string =>
  `${n} ${n === 1 ? word : plural}`;
const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** Rounds a suggested duration up to a number people write: 5-minute steps below an hour, 15-minute steps above. */
function roundUp(ms: number): number {
  const step = ms > 3_600_000 ? 900_000 : 300_000;
  return Math.ceil(ms / step) * step;
}

function offsetFrom(start: number): (at: string) => string {
  return (at) => `+${d(Date.parse(at) - start)}`;
}

/** The findings of a retrospective: three to six, most costly first. */
export function planRetroFindings(retro: RetroFigures): Finding[] {
  const candidates = [
    ...findNeedsCycles(retro),
    ...findNeedsWaits(retro),
    ...findBlocked(retro),
    ...findStalls(retro),
    ...findImbalance(retro),
    ...findCriticalPath(retro),
    ...findIntegrateTrouble(retro),
    ...findScopeTrouble(retro),
    ...findProtocolTrouble(retro),
    ...findReopened(retro),
    ...findIdle(retro),
    ...findSlowStarts(retro),
    ...findLowSpeedUp(retro),
    ...dependencyFindings(retro).filter((f) => f.weight > 0),
  ].sort((a, b) => b.weight - a.weight);
  const chosen: Finding[] = [];
  const perKind = new Map<string, number>();
  for (const finding of candidates) {
    if (chosen.length === MAX_FINDINGS) break;
    const count = perKind.get(finding.kind) ?? 0;
    if (count >= MAX_PER_KIND) continue;
    perKind.set(finding.kind, count + 1);
    chosen.push(finding);
  }
  for (const fallback of [...summaryFindings(retro), ...dependencyFindings(retro)]) {
    if (chosen.length >= MIN_FINDINGS) break;
    if (!chosen.some((f) => f.kind === fallback.kind)) chosen.push(fallback);
  }
  return chosen;
}

/**
 * The dependsOn cycle that `from` depending on `to` would close (with the
 * edges in `added` too), as plan validation would name it, or null: advice
 * must never suggest a plan that `pw setup` refuses.
 */
function dependsOnCycle(
  retro: RetroFigures,
  from: string,
  to: string,
  added: readonly (readonly [string, string])[] = [],
): string[] | null {
  const edges = new Map(retro.workers.map((w) => [w.id, [...w.dependsOn]]));
  for (const [a, b] of [...added, [from, to] as const]) edges.get(a)?.push(b);
  const cycle = findCycle(edges);
  if (!cycle) return null;
  // Start it at the new edge: `from -> to -> … -> from`.
  const nodes = cycle.slice(0, -1);
  const i = nodes.findIndex((id, k) => id === from && nodes[(k + 1) % nodes.length] === to);
  if (i < 0) return cycle;
  return [...nodes.slice(i), ...nodes.slice(0, i), from];
}

/** When the provider delivered the item before it was asked for (the NEEDS then stays open, as in `pw status`). */
function deliveredBefore(retro: RetroFigures, need: NeedRetro): string | null {
  const provider = retro.workers.find((w) => w.id === need.provider);
  const raised = Date.parse(need.raisedAt);
  return (
    provider?.provided.find((p) => p.item === need.item && Date.parse(p.at) < raised)?.at ?? null
  );
}

function needSuggestion(retro: RetroFigures, needer: WorkerRetro, need: NeedRetro): string {
  const declared = needer.dependsOn.includes(need.provider);
  const cycle = declared ? null : dependsOnCycle(retro, needer.id, need.provider);
  const ownWorker = `give ${need.item} to a worker of its own that finishes first, or agree its interface in the plan so ${needer.id} can start against a stub`;
  const noDependsOn = cycle
    ? ` (\`dependsOn: [${need.provider}]\` for ${needer.id} would close the cycle ${cycle.join(' -> ')})`
    : '';
  if (need.open && deliveredBefore(retro, need))
    return `Merge ${need.provider}'s branch into ${needer.id} and go on (\`pw status\` lists it under "can resume"); next time tell workers in the plan to look for an item on the provider's branch before asking for it.`;
  if (need.open)
    return cycle
      ? `Ask ${need.provider} for ${need.item} now, or take the part that needs it out of ${needer.id}'s task; next time ${ownWorker}${noDependsOn}.`
      : `Ask ${need.provider} for ${need.item} now, or take the part that needs it out of ${needer.id}'s task; next time declare \`dependsOn: [${need.provider}]\` for ${needer.id} or give ${need.item} to a worker of its own that finishes first.`;
  if (cycle) return `${capitalize(ownWorker)}${noDependsOn}.`;
  if (!declared)
    return `Declare \`dependsOn: [${need.provider}]\` for ${needer.id} so the order is in the plan, or give ${need.item} to its own worker that finishes first.`;
  if (need.resolvedBy === 'complete')
    return `Have ${need.provider} deliver ${need.item} as soon as it exists, with a \`Provides: ${need.item}\` trailer, instead of only at its COMPLETE; put it first in ${need.provider}'s task.`;
  return `Put ${need.item} first in ${need.provider}'s task, or agree its interface in the plan so ${needer.id} can start against a stub.`;
}

function findNeedsWaits(retro: RetroFigures): Finding[] {
  const at = offsetFrom(Date.parse(retro.startedAt));
  const out: Finding[] = [];
  for (const worker of retro.workers) {
    for (const need of worker.needs) {
      if (need.waitedMs < MIN_TIME_MS) continue;
      const earlier = need.open ? deliveredBefore(retro, need) : null;
      const cycle = worker.dependsOn.includes(need.provider)
        ? null
        : dependsOnCycle(retro, worker.id, need.provider);
      const resolution = need.open
        ? `still open at ${at(retro.endedAt)}`
        : need.resolvedBy === 'provides'
          ? `resolved at ${at(need.resolvedAt!)} by a \`Provides: ${need.item}\` trailer on ${need.provider}'s branch`
          : `resolved at ${at(need.resolvedAt!)} by ${need.provider}'s COMPLETE`;
      out.push({
        kind: 'needs-wait',
        title: `${worker.id} waited ${d(need.waitedMs)} for ${need.provider}/${need.item}`,
        evidence: [
          `\`[NEEDS:${need.provider}/${need.item}]\` raised at ${at(need.raisedAt)} (${short(need.sha)}), ${resolution}.`,
          worker.dependsOn.includes(need.provider)
            ? `${need.provider} is in ${worker.id}'s dependsOn.`
            : cycle
              ? `${need.provider} is not in ${worker.id}'s dependsOn, and cannot be: the plan already has ${cycle.slice(1).join(' -> ')}.`
              : `${need.provider} is not in ${worker.id}'s dependsOn: the plan did not know about this edge.`,
          ...(earlier
            ? [
                `${need.provider} had delivered ${need.item} at ${at(earlier)}, before it was asked for: ${worker.id} can merge it and go on.`,
              ]
            : []),
        ],
        suggestion: needSuggestion(retro, worker, need),
        weight: need.waitedMs / Math.max(retro.wallMs, 1) + (need.open ? 0.2 : 0),
      });
    }
  }
  return out;
}

/**
 * Open NEEDS that wait on each other: nobody can move. The cycles are the
 * ones `pw status` reports (every open NEEDS is an edge), from one function.
 */
function findNeedsCycles(retro: RetroFigures): Finding[] {
  const open = new Map<string, NeedRetro[]>(
    retro.workers.map((worker) => [worker.id, worker.needs.filter((n) => n.open)]),
  );
  const cycles = findStatusNeedsCycles(
    retro.workers.map((worker) => ({
      id: worker.id,
      needs: open.get(worker.id)!.map((n) => ({ worker: n.provider })),
    })),
  );
  return cycles.map((cycle) => {
    // The NEEDS each worker of the cycle has open on the next one.
    const edge = (id: string, i: number): NeedRetro => {
      const next = cycle[(i + 1) % cycle.length];
      const needs = open.get(id)!;
      return needs.find((n) => n.provider === next) ?? needs[0]!;
    };
    return {
      kind: 'deadlock',
      title: `Deadlock: ${cycle.join(' → ')} → ${cycle[0]} wait for each other`,
      evidence: cycle.map((id, i) => {
        const need = edge(id, i);
        return `${id} needs ${need.provider}/${need.item} (open since ${offsetFrom(Date.parse(retro.startedAt))(need.raisedAt)}).`;
      }),
      suggestion: `Break the cycle: give one of ${cycle.map((id, i) => edge(id, i).item).join(', ')} to a worker of its own that finishes first, or agree the interfaces in the plan so each can start against a stub.`,
      weight: 1.5,
    };
  });
}

function findBlocked(retro: RetroFigures): Finding[] {
  const at = offsetFrom(Date.parse(retro.startedAt));
  return retro.workers
    .filter((w) => w.blockedMs >= MIN_TIME_MS)
    .map((worker) => {
      const reasons = [...new Set(worker.blocked.map((b) => b.reason))];
      const share = worker.durationMs > 0 ? worker.blockedMs / worker.durationMs : 0;
      return {
        kind: 'blocked',
        title: `${worker.id} was blocked ${d(worker.blockedMs)} (${pct(share)} of its time): ${reasons.join('; ')}`,
        evidence: worker.blocked.map(
          (span) =>
            `\`[BLOCKED:${span.reason}]\` from ${at(span.from)} ${span.open ? `and still blocked at ${at(span.to)}` : `until ${at(span.to)}`} (${d(span.ms)}).`,
        ),
        suggestion: `Settle "${reasons[0]}" before the next plan starts, or make whatever ${worker.id} waited for a dependsOn (or a worker of its own) so the wait is planned, not discovered.`,
        weight: worker.blockedMs / Math.max(retro.wallMs, 1),
      };
    });
}

function findStalls(retro: RetroFigures): Finding[] {
  const at = offsetFrom(Date.parse(retro.startedAt));
  return (
    retro.workers
      // A worker that never committed is the `idle` finding, not a stall.
      .filter((w) => w.stalls.length > 0 && w.commits > 0)
      .map((worker) => {
        const longest = [...worker.stalls].sort((a, b) => b.ms - a.ms)[0]!;
        const total = worker.stalls.reduce((s, x) => s + x.ms, 0);
        return {
          kind: 'stalls',
          title: `${worker.id} went silent ${times(worker.stalls.length, 'time')} for longer than ${d(worker.stallAfterMs)} (longest ${d(longest.ms)})`,
          evidence: worker.stalls
            .slice(0, 4)
            .map((s) => `No commit from ${at(s.from)} to ${at(s.to)} (${d(s.ms)}).`),
          suggestion: `Ask ${worker.id} for a [CHECKPOINT] at least every ${d(worker.stallAfterMs / 2)} and split its task into smaller steps; if the work is legitimately slow, set \`stallAfter: ${d(roundUp(Math.max(longest.ms, worker.stallAfterMs) * 1.25))}\` for it.`,
          weight: (0.8 * total) / Math.max(retro.wallMs, 1),
        };
      })
  );
}

function findImbalance(retro: RetroFigures): Finding[] {
  const { longest, shortest, ratio, spreadMs } = retro.balance;
  const started = retro.workers.filter((w) => w.commits > 0);
  if (!longest || !shortest || started.length < 2) return [];
  if (ratio < 1.4 || spreadMs < Math.max(MIN_TIME_MS, 0.15 * retro.wallMs)) return [];
  const long = retro.workers.find((w) => w.id === longest.worker)!;
  const brief = (w: WorkerRetro): string =>
    `${w.id}: ${d(w.durationMs)}, active ${d(w.activeMs)}, ${times(w.files.changed, 'file')}, +${w.files.linesAdded}/-${w.files.linesDeleted} lines`;
  return [
    {
      kind: 'imbalance',
      title: `Uneven split: ${longest.worker} took ${d(longest.ms)}, ${shortest.worker} ${d(shortest.ms)} (${ratio.toFixed(1)}× the mean)`,
      evidence: [...started]
        .sort((a, b) => b.durationMs - a.durationMs)
        .slice(0, 4)
        .map(brief),
      suggestion: `Move part of ${long.id}'s task (${times(long.files.changed, 'file')} changed) to ${shortest.worker} or a new worker, so the workers are of similar size.`,
      weight: (0.6 * spreadMs) / Math.max(retro.wallMs, 1),
    },
  ];
}

function findCriticalPath(retro: RetroFigures): Finding[] {
  const { steps, lengthMs, waitMs } = retro.criticalPath;
  if (steps.length < 2) return [];
  const at = offsetFrom(Date.parse(retro.startedAt));
  const chain = steps.map((s) => s.worker).join(' → ');
  return [
    {
      kind: 'critical-path',
      title: `The chain ${chain} decided the finish (${d(lengthMs)} of ${d(retro.wallMs)})`,
      evidence: steps.map((s) =>
        s.via === 'start'
          ? `${s.worker} waited for nobody and finished at ${at(s.finishedAt)}.`
          : `${s.worker} ${s.via === 'needs' ? `got its NEEDS ${s.item} at ${at(s.gateAt)}` : `depends on the worker before it, which finished at ${at(s.gateAt)}`}; it finished at ${at(s.finishedAt)}.`,
      ),
      suggestion: `Shorten the chain: agree the interface between ${steps[0]!.worker} and ${steps[1]!.worker} in the plan so ${steps[1]!.worker} starts against a stub, or split ${steps[0]!.worker} so the piece others need comes first.`,
      weight: Math.max(0.1, waitMs / Math.max(retro.wallMs, 1)),
    },
  ];
}

function findIntegrateTrouble(retro: RetroFigures): Finding[] {
  const at = offsetFrom(Date.parse(retro.startedAt));
  const out: Finding[] = [];
  const conflicts = retro.integrate.conflicts;
  if (conflicts.length) {
    // A path only one worker changed conflicted with the target's own commits, not with a worker.
    const withTarget = new Set(
      conflicts.flatMap((c) => (c.workers.length <= 1 ? c.targetPaths : [])),
    );
    const paths = [...new Set(conflicts.flatMap((c) => c.paths))].filter((p) => !withTarget.has(p));
    const workers = [...new Set(conflicts.flatMap((c) => c.workers))];
    const onTarget = [...withTarget];
    out.push({
      kind: 'integrate-conflict',
      title: `Integrate hit ${times(conflicts.length, 'conflict')}${workers.length ? ` (${workers.join(', ')})` : ''}`,
      evidence: conflicts.map(
        (c) =>
          `At ${at(c.at)}: ${c.workers.join(' and ') || 'workers not recorded'}${c.targetPaths.length ? ` and commits made on ${retro.target} itself` : ''}${c.paths.length ? ` on ${c.paths.join(', ')}` : ''}.`,
      ),
      suggestion: [
        paths.length
          ? `Give ${paths.slice(0, 3).join(', ')} to exactly one worker (or to none, and change them after integrate); run \`pw integrate --dry-run --matrix\` mid-flight to see conflicts coming.`
          : null,
        onTarget.length
          ? `${onTarget.slice(0, 3).join(', ')} conflicted with commits made directly on ${retro.target} while the plan ran: leave ${retro.target} alone until integrate, or have the owner merge ${retro.target} into its branch before integrate.`
          : null,
        paths.length || onTarget.length
          ? null
          : 'Run `pw integrate --dry-run --matrix` mid-flight to see conflicts coming, and give shared files to one worker.',
      ]
        .filter(Boolean)
        .join(' '),
      weight: 0.7,
    });
  }
  const failures = retro.integrate.verifyFailures;
  if (failures.length) {
    const culprits = [...new Set(failures.map((f) => f.worker).filter((w): w is string => !!w))];
    out.push({
      kind: 'verify-failed',
      title: `Verify failed ${times(failures.length, 'time')}${culprits.length ? `, first broken by ${culprits.join(', ')}` : ''}`,
      evidence: failures.map(
        (f) =>
          `At ${at(f.at)}: ${f.worker ? `merging ${f.worker} broke it` : 'verify failed'}${f.detail ? ` (${f.detail})` : ''}.`,
      ),
      suggestion: `Have ${culprits.length ? culprits.join(', ') : 'each worker'} run the verify command in its worktree before [COMPLETE], and set \`integrate.verifyMode: each\` so the breaking merge is named at once.`,
      weight: 0.7,
    });
  }
  return out;
}

function findScopeTrouble(retro: RetroFigures): Finding[] {
  const out: Finding[] = [];
  for (const worker of retro.workers) {
    const scopeRefusals = Object.entries(worker.refusals.byKind).filter(([kind]) =>
      /scope|pre-commit|reference|push|receive|path/i.test(kind),
    );
    const refused = scopeRefusals.reduce((s, [, n]) => s + n, 0);
    if (worker.outOfScope.length) {
      const paths = [...new Set(worker.outOfScope.map((o) => o.path))];
      out.push({
        kind: 'out-of-scope',
        // Judged with the plan as it is now: the scope may have been narrowed after the commit.
        title: `${worker.id} changed ${times(paths.length, 'path')} outside its scope as the plan stands now`,
        evidence: worker.outOfScope
          .slice(0, 5)
          .map((o) => `${o.path} in ${short(o.sha)}.`)
          .concat(
            `${worker.id} owns ${worker.owns.map((o) => `\`${o}\``).join(', ') || 'nothing'} now${worker.refusals.total ? '' : '; no hook refusal was logged for it: the hooks were off or bypassed, or its scope was narrowed after these commits'}.`,
          ),
        suggestion: `If ${worker.id} needs ${paths.slice(0, 3).join(', ')}, add them to its \`owns\`; if its scope was narrowed on purpose after these commits, nothing is wrong; otherwise keep the hooks on (\`pw hooks status\`) and run \`pw check\` in CI so this is refused before integrate.`,
        weight: 0.5,
      });
    }
    if (refused > 0) {
      out.push({
        kind: 'scope-refusals',
        title: `${worker.id} tried ${times(refused, 'time')} to change files it does not own`,
        evidence: refusalEvidence(retro, worker, (kind) => scopeRefusals.some(([k]) => k === kind)),
        suggestion: `If ${worker.id} needed those files, give them to it in \`owns\` (or to a shared worker); otherwise name their owner in its brief so it asks with [NEEDS:...] instead.`,
        weight: 0.1 + 0.05 * refused,
      });
    }
  }
  return out;
}

/** Up to three refusals of a worker, with when and what the hook said. */
function refusalEvidence(
  retro: RetroFigures,
  worker: WorkerRetro,
  matches: (kind: string) => boolean,
): string[] {
  const at = offsetFrom(Date.parse(retro.startedAt));
  const list = worker.refusals.list.filter((r) => matches(r.kind));
  const lines = list
    .slice(0, 3)
    .map((r) => `${worker.id}, ${at(r.at)}: ${r.kind} refused${r.detail ? ` (${r.detail})` : ''}.`);
  if (list.length > 3) lines.push(`… and ${list.length - 3} more.`);
  return lines;
}

function findProtocolTrouble(retro: RetroFigures): Finding[] {
  const out: Finding[] = [];
  const unprefixed = retro.workers.filter((w) => w.unprefixed.length);
  if (unprefixed.length) {
    out.push({
      kind: 'unprefixed',
      title: `${times(retro.hygiene.unprefixed, 'commit')} without a status prefix got onto worker branches`,
      evidence: unprefixed.flatMap((w) =>
        w.unprefixed.slice(0, 3).map((u) => `${w.id}: ${short(u.sha)} "${u.header}".`),
      ),
      suggestion:
        'Keep the commit-msg hook on in every worktree (`pw hooks status`), and run `pw check` in CI so such commits are caught before integrate.',
      weight: 0.4,
    });
  }
  const protocolRefusals = retro.workers
    .map((w) => ({
      worker: w,
      n: Object.entries(w.refusals.byKind)
        .filter(([kind]) => /protocol|commit-msg|message|header/i.test(kind))
        .reduce((s, [, n]) => s + n, 0),
    }))
    .filter((x) => x.n > 0);
  if (protocolRefusals.length) {
    const total = protocolRefusals.reduce((s, x) => s + x.n, 0);
    out.push({
      kind: 'protocol-refusals',
      title: `${times(total, 'commit message')} refused for breaking the protocol`,
      evidence: protocolRefusals.flatMap((x) =>
        refusalEvidence(retro, x.worker, (kind) =>
          /protocol|commit-msg|message|header/i.test(kind),
        ),
      ),
      suggestion: `Put the four headers, with an example each, at the top of ${protocolRefusals.map((x) => x.worker.id).join(', ')}'s brief or launch prompt.`,
      weight: 0.05 + 0.03 * total,
    });
  }
  const caught = findCaughtViolations(retro);
  if (caught) out.push(caught);
  return out;
}

/**
 * Violations that check or integrate reported (events with `violations`).
 * They judge history with the plan as it stands now, so a change outside a
 * scope is a bypass of the hooks or a scope narrowed after the commit: the
 * finding says both and asserts neither.
 */
function findCaughtViolations(retro: RetroFigures): Finding | null {
  const caught = retro.hygiene.bypassesCaught;
  if (caught.length === 0) return null;
  const at = offsetFrom(Date.parse(retro.startedAt));
  const isProtocol = (kind: string): boolean => /protocol|message|header|prefix/i.test(kind);
  const isScope = (kind: string): boolean => !isProtocol(kind) && /scope|path|own/i.test(kind);
  /** Distinct commits, or distinct reports when the event named no commit. */
  const commits = (list: typeof caught): { n: number; allCommits: boolean } => ({
    n: new Set(
      list.map((b) => (b.commit ? `${b.worker}\0${b.commit}` : `${b.worker}\0${b.detail}`)),
    ).size,
    allCommits: list.every((b) => b.commit !== null),
  });
  const scope = commits(caught.filter((b) => isScope(b.kind)));
  const protocol = commits(caught.filter((b) => isProtocol(b.kind)));
  const other = caught.filter((b) => !isScope(b.kind) && !isProtocol(b.kind)).length;
  const parts: string[] = [];
  if (scope.n)
    parts.push(
      scope.allCommits
        ? `${times(scope.n, 'commit')} changed files outside their worker's scope as the plan stands now`
        : `${times(scope.n, 'change')} outside a worker's scope as the plan stands now`,
    );
  if (protocol.n)
    parts.push(
      protocol.allCommits
        ? `${times(protocol.n, 'commit')} broke the protocol`
        : `${times(protocol.n, 'protocol break')}`,
    );
  if (other) parts.push(times(other, 'other violation'));
  const by = [...new Set(caught.map((b) => b.caughtBy))].join(' and ');
  const reasons = scope.n
    ? `Each change outside a scope is a bypass of the hooks (--no-verify, hooks off) or a scope narrowed after the fact: check and integrate judge history with the plan as it stands now. If the plan changed on purpose, nothing is wrong; otherwise find out why the hooks let them through`
    : `Find out why the hooks let them through (--no-verify, hooks off, or a plan changed after the commits)`;
  return {
    kind: 'bypasses',
    title: `${parts.join('; ')} (caught by ${by})`,
    evidence: caught
      .slice(0, 5)
      .map(
        (b) =>
          `${b.worker ?? 'unknown worker'}: ${b.kind}${b.detail ? `, ${b.detail}` : ''}${b.commit ? ` in ${short(b.commit)}` : ''}, caught by ${b.caughtBy} at ${at(b.at)}.`,
      )
      .concat(caught.length > 5 ? [`… and ${caught.length - 5} more.`] : []),
    suggestion: `${reasons} (\`pw hooks status\` in those worktrees) and keep \`pw check\` in CI.`,
    weight: 0.45,
  };
}

function findReopened(retro: RetroFigures): Finding[] {
  return retro.workers
    .filter((w) => w.reopened > 0)
    .map((worker) => ({
      kind: 'reopened',
      title: `${worker.id} went on working after [COMPLETE] (${times(worker.reopened, 'time')})`,
      evidence: worker.timeline
        .filter((m, i, all) => i > 0 && all[i - 1]!.kind === 'complete')
        .slice(0, 3)
        .map((m) => `${short(m.sha)} "${m.header}" after a COMPLETE.`),
      suggestion: `Make "tests pass in the worktree" part of ${worker.id}'s definition of done in its brief, so [COMPLETE] means done and others can rely on it.`,
      weight: 0.2,
    }));
}

function findIdle(retro: RetroFigures): Finding[] {
  const idle = retro.workers.filter((w) => w.commits === 0);
  if (idle.length === 0 || retro.wallMs < MIN_TIME_MS) return [];
  return [
    {
      kind: 'idle',
      title: `${idle.map((w) => w.id).join(', ')} never committed`,
      evidence: idle.map(
        (w) =>
          `${w.id}: no commit of its own in ${d(retro.wallMs)}${w.source === 'none' ? ' (no branch or archive ref found)' : ''}.`,
      ),
      suggestion: `Check that ${idle.length === 1 ? 'its agent was' : 'their agents were'} launched (the launch script under the plan's trusted folder) and told to commit a [CHECKPOINT] early; or drop ${idle.length === 1 ? 'the worker' : 'them'} from the plan.`,
      weight: retro.status === 'in-flight' ? 0.3 : 0.6,
    },
  ];
}

function findSlowStarts(retro: RetroFigures): Finding[] {
  return retro.workers
    .filter((w) => w.timeToFirstCommitMs !== null && w.timeToFirstCommitMs > w.stallAfterMs)
    .map((worker) => ({
      kind: 'slow-start',
      title: `${worker.id}'s first commit came ${d(worker.timeToFirstCommitMs!)} after setup`,
      evidence: [
        `First commit at ${worker.firstCommitAt}; the stall threshold is ${d(worker.stallAfterMs)}.`,
      ],
      suggestion: `Ask ${worker.id} to commit a [CHECKPOINT] with its plan of attack within the first ${d(worker.stallAfterMs / 2)}, so silence means trouble, not reading.`,
      weight: (0.3 * worker.timeToFirstCommitMs!) / Math.max(retro.wallMs, 1),
    }));
}

function findLowSpeedUp(retro: RetroFigures): Finding[] {
  const started = retro.workers.filter((w) => w.commits > 0).length;
  if (started < 2 || retro.speedUp >= 1.2 || retro.wallMs < MIN_TIME_MS) return [];
  return [
    {
      kind: 'low-speed-up',
      title: `Parallel speed-up only ${retro.speedUp.toFixed(1)}× with ${started} workers`,
      evidence: [
        `Active time ${d(retro.totals.activeMs)} over a wall time of ${d(retro.wallMs)}; ${d(retro.totals.blockedMs)} blocked, ${d(retro.totals.needsWaitMs)} waiting on NEEDS.`,
      ],
      suggestion:
        'Cut the waiting between workers (fewer NEEDS, interfaces agreed up front), or run fewer, larger workers.',
      weight: 0.3,
    },
  ];
}

/** Always true, always useful: used when the rules above find fewer than three things. */
function summaryFindings(retro: RetroFigures): Finding[] {
  const started = retro.workers.filter((w) => w.commits > 0);
  const out: Finding[] = [];
  out.push({
    kind: 'speed-up',
    title: started.length
      ? `Parallel speed-up ${retro.speedUp.toFixed(1)}×: ${d(retro.totals.activeMs)} of active work in ${d(retro.wallMs)}`
      : `No worker has committed yet (${d(retro.wallMs)} since setup)`,
    evidence: [
      `${started.length} of ${retro.workers.length} workers committed; ${retro.totals.commits} commits in all.`,
      `Blocked ${pct(retro.blockedRatio)} of worker time; ${retro.totals.needs} NEEDS raised.`,
    ],
    suggestion: started.length
      ? retro.speedUp >= 1.5
        ? 'Keep this split for similar work; to go faster, add a worker only where one lane is the longest.'
        : 'Reduce the waiting between workers before adding more of them.'
      : 'Check that the agents were launched; each should commit a [CHECKPOINT] early.',
    weight: 0,
  });
  const { longest, shortest } = retro.balance;
  if (longest && shortest && started.length >= 2) {
    out.push({
      kind: 'balance',
      title: `Balance: ${longest.worker} took longest (${d(longest.ms)}), ${shortest.worker} shortest (${d(shortest.ms)})`,
      evidence: [
        `Longest over mean: ${retro.balance.ratio.toFixed(2)}×; spread ${d(retro.balance.spreadMs)}.`,
      ],
      suggestion:
        retro.balance.ratio < 1.4
          ? 'The split was even; keep worker tasks of this size.'
          : `Give ${shortest.worker} more of the work next time.`,
      weight: 0,
    });
  }
  const clean =
    retro.hygiene.unprefixed + retro.hygiene.outOfScope + retro.hygiene.bypassesCaught.length === 0;
  out.push({
    kind: 'hygiene',
    title: clean
      ? `Protocol hygiene: every commit had a status prefix and stayed in scope`
      : `Protocol hygiene: ${retro.hygiene.unprefixed} unprefixed, ${retro.hygiene.outOfScope} out of scope`,
    evidence: [
      `${retro.totals.refusals} hook refusals${
        Object.keys(retro.hygiene.refusalsByKind).length
          ? ` (${Object.entries(retro.hygiene.refusalsByKind)
              .map(([k, n]) => `${k}: ${n}`)
              .join(', ')})`
          : ''
      }; ${retro.hygiene.reopened} reopened after COMPLETE.`,
    ],
    suggestion: clean
      ? 'Keep the scopes and the hooks as they are for a similar plan.'
      : 'Keep the hooks on and run `pw check` in CI.',
    weight: 0,
  });
  if (retro.criticalPath.steps.length) {
    const last = retro.criticalPath.steps[retro.criticalPath.steps.length - 1]!;
    out.push({
      kind: 'finish',
      title: `${last.worker} finished last, at +${d(retro.criticalPath.lengthMs)}`,
      evidence: [`Critical path: ${retro.criticalPath.steps.map((s) => s.worker).join(' → ')}.`],
      suggestion: `To finish sooner, split ${last.worker}'s task.`,
      weight: 0,
    });
  }
  return out;
}

/** The dependency edges the plan declared against the NEEDS the workers actually raised. */
function dependencyFindings(retro: RetroFigures): Finding[] {
  const declared = retro.workers.flatMap((w) => w.dependsOn.map((dep) => `${w.id} → ${dep}`));
  const raised = new Map<string, number>();
  const items = new Map<string, Set<string>>();
  for (const w of retro.workers)
    for (const need of w.needs) {
      const edge = `${w.id} → ${need.provider}`;
      raised.set(edge, (raised.get(edge) ?? 0) + 1);
      items.set(edge, (items.get(edge) ?? new Set()).add(need.item));
    }
  const undeclared = [...raised.keys()].filter((edge) => !declared.includes(edge));
  const evidence = [
    declared.length ? `Declared (dependsOn): ${declared.join(', ')}.` : 'No dependsOn declared.',
    raised.size
      ? `NEEDS raised: ${[...raised].map(([edge, count]) => `${edge} (${count})`).join(', ')}.`
      : 'No NEEDS raised.',
  ];
  if (undeclared.length) {
    // Each edge is suggested only if it, with the ones suggested before it, keeps dependsOn acyclic.
    const added: [string, string][] = [];
    const instead: string[] = [];
    for (const edge of undeclared) {
      const [from, to] = edge.split(' → ') as [string, string];
      const cycle = dependsOnCycle(retro, from, to, added);
      if (!cycle) {
        added.push([from, to]);
        continue;
      }
      const what = [...(items.get(edge) ?? [])].join(', ');
      const withAdded = dependsOnCycle(retro, from, to) ? '' : ', with the dependsOn above,';
      instead.push(
        `For ${edge}, give ${what} to a worker of its own that finishes first, or agree ${what.includes(',') ? 'their interfaces' : 'its interface'} in the plan so ${from} can start against a stub: \`dependsOn: [${to}]\` for ${from} would${withAdded} close the cycle ${cycle.join(' -> ')}.`,
      );
    }
    const declare = added.length
      ? [
          `Add ${added.map(([from, to]) => `\`dependsOn: [${to}]\` to ${from}`).join(', ')}, so integrate orders them and the briefs say who waits for whom.`,
        ]
      : [];
    return [
      {
        kind: 'undeclared-needs',
        title: `${times(undeclared.length, 'dependency', 'dependencies')} turned up that the plan did not declare: ${undeclared.join(', ')}`,
        evidence,
        suggestion: [...declare, ...instead].join(' '),
        weight: 0.15,
      },
    ];
  }
  return [
    {
      kind: 'dependencies',
      title: raised.size
        ? 'Every NEEDS followed a dependency the plan declared'
        : declared.length
          ? `No NEEDS raised${retro.status === 'in-flight' ? ' so far' : ''}; ${times(declared.length, 'dependency', 'dependencies')} declared`
          : 'No dependencies declared or needed',
      evidence,
      suggestion: declared.length
        ? 'Keep declaring dependencies up front, and have providers commit a `Provides: <item>` trailer as soon as an item exists, so dependents do not wait for COMPLETE.'
        : 'The workers were independent: this split parallelises well; keep tasks this separable.',
      weight: 0,
    },
  ];
}
