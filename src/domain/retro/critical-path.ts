import { type WorkerRetro, type CriticalStep, type Retro } from './types.js';
import { sum } from './worker.js';
import { iso } from './classify.js';

/**
 * The chain that decided when the plan finished, in hindsight: start from the
 * worker that finished last and step back, each time, to the dependency
 * (dependsOn, or a NEEDS provider) whose delivery came last before the worker
 * finished, until a worker waited for nobody.
 */
export function planCriticalPath(
  workers: readonly WorkerRetro[],
  start: number,
  end: number,
): Retro['criticalPath'] {
  const finishOf = (w: WorkerRetro): number => (w.completedAt ? Date.parse(w.completedAt) : end);
  const byId = new Map(workers.map((w) => [w.id, w]));
  const active = workers.filter((w) => w.commits > 0);
  if (active.length === 0) return { steps: [], lengthMs: 0, waitMs: 0 };
  let current = [...active].sort((a, b) => finishOf(b) - finishOf(a))[0]!;
  const reversed: CriticalStep[] = [];
  const seen = new Set<string>();
  let waitMs = 0;
  for (;;) {
    seen.add(current.id);
    const finished = finishOf(current);
    const gates: {
      worker: WorkerRetro;
      at: number;
      via: 'dependsOn' | 'needs';
      item: string | null;
      wait: number;
    }[] = [];
    for (const dep of current.dependsOn) {
      const provider = byId.get(dep);
      if (provider && !seen.has(dep) && provider.commits > 0)
        gates.push({
          worker: provider,
          at: finishOf(provider),
          via: 'dependsOn',
          item: null,
          wait: 0,
        });
    }
    for (const need of current.needs) {
      const provider = byId.get(need.provider);
      if (!provider || seen.has(need.provider)) continue;
      const at = need.resolvedAt ? Date.parse(need.resolvedAt) : end;
      gates.push({ worker: provider, at, via: 'needs', item: need.item, wait: need.waitedMs });
    }
    const gate = gates
      .filter((g) => g.at <= finished && g.at > start)
      .sort((a, b) => b.at - a.at || (a.via === 'needs' ? -1 : 1))[0];
    if (!gate) {
      reversed.push({
        worker: current.id,
        via: 'start',
        item: null,
        gateAt: iso(start),
        finishedAt: iso(finished),
      });
      break;
    }
    reversed.push({
      worker: current.id,
      via: gate.via,
      item: gate.item,
      gateAt: iso(gate.at),
      finishedAt: iso(finished),
    });
    waitMs += gate.wait;
    current = gate.worker;
  }
  const steps = reversed.reverse();
  const last = steps[steps.length - 1]!;
  return { steps, lengthMs: Date.parse(last.finishedAt) - start, waitMs };
}

export function planBalance(workers: readonly WorkerRetro[]): Retro['balance'] {
  const started = workers.filter((w) => w.commits > 0);
  if (started.length === 0)
    return { longest: null, shortest: null, meanMs: 0, spreadMs: 0, ratio: 0 };
  const sorted = [...started].sort((a, b) => b.durationMs - a.durationMs);
  const longest = sorted[0]!;
  const shortest = sorted[sorted.length - 1]!;
  const meanMs = sum(started.map((w) => w.durationMs)) / started.length;
  return {
    longest: { worker: longest.id, ms: longest.durationMs },
    shortest: { worker: shortest.id, ms: shortest.durationMs },
    meanMs,
    spreadMs: longest.durationMs - shortest.durationMs,
    ratio: meanMs > 0 ? longest.durationMs / meanMs : 0,
  };
}
