import type { CompiledPlan } from '../domain/plan.js';
import { listRefs } from './repo.js';
import { runGit } from './run-git.js';

/** One commit on a worker's own line of history (first parents since the plan's base commit). */
export interface HistoryCommit {
  sha: string;
  parents: string[];
  /** Author time, ms since the epoch. */
  authorTime: number;
  /** Committer time, ms since the epoch. */
  commitTime: number;
  /** The full raw message. */
  message: string;
}

const FIELD = '\x1f';

/** Parses `git log -z --source --format=%H%x1f%P%x1f%at%x1f%ct%x1f%S%x1f%B`. Pure. */
export function parseHistoryLog(output: string): { ref: string; commit: HistoryCommit }[] {
  const out: { ref: string; commit: HistoryCommit }[] = [];
  for (const record of output.split('\0')) {
    if (!record.trim()) continue;
    const parts = record.replace(/^\n/, '').split(FIELD);
    if (parts.length < 6) continue;
    const [sha, parents, at, ct, ref, ...message] = parts;
    out.push({
      ref: ref!,
      commit: {
        sha: sha!,
        parents: parents ? parents.split(' ').filter(Boolean) : [],
        authorTime: Number(at) * 1000,
        commitTime: Number(ct) * 1000,
        message: message.join(FIELD).replace(/\n$/, ''),
      },
    });
  }
  return out;
}

/** Where each worker's history is read from: its branch, or its archive ref once teardown or integrate removed the branch. */
export async function readWorkerTips(cwd: string, plan: CompiledPlan): Promise<Map<string, { ref: string; sha: string }>> {
  const refs = new Map([...(await listRefs(cwd, 'refs/heads/')), ...(await listRefs(cwd, `refs/pw/archive/${plan.name}/`))]);
  const tips = new Map<string, { ref: string; sha: string }>();
  for (const worker of plan.workers) {
    for (const ref of [`refs/heads/${worker.branch}`, `refs/pw/archive/${plan.name}/${worker.id}`]) {
      const sha = refs.get(ref);
      if (sha) {
        tips.set(worker.id, { ref, sha });
        break;
      }
    }
  }
  return tips;
}

/**
 * Every worker's own commits, oldest first, from ONE `git log` over all worker
 * tips. First parents only: what a worker merged in (the base, a provider's
 * branch) is not its own history. `--source` says which tip reached each commit.
 */
export async function readWorkerHistories(
  cwd: string,
  plan: CompiledPlan,
  tips?: Map<string, { ref: string; sha: string }>,
): Promise<Map<string, HistoryCommit[]>> {
  const workerTips = tips ?? (await readWorkerTips(cwd, plan));
  const histories = new Map<string, HistoryCommit[]>(plan.workers.map((w) => [w.id, []]));
  if (workerTips.size === 0) return histories;
  const byRef = new Map([...workerTips].map(([id, tip]) => [tip.ref, id]));
  const { stdout } = await runGit(
    [
      'log',
      '-z',
      '--first-parent',
      '--source',
      '--topo-order',
      `--format=%H${FIELD}%P${FIELD}%at${FIELD}%ct${FIELD}%S${FIELD}%B`,
      ...new Set([...workerTips.values()].map((tip) => tip.ref)),
      '--not',
      plan.baseCommit,
      '--',
    ],
    { cwd },
  );
  for (const { ref, commit } of parseHistoryLog(stdout)) {
    const id = byRef.get(ref);
    if (id) histories.get(id)!.push(commit);
  }
  for (const list of histories.values()) list.reverse();
  return histories;
}
