import { watch } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { untilReaderGone, type CommandDeps, type CommandResult } from '../cli/deps.js';
import type { CompiledPlan, CompiledWorker } from '../domain/plan/plan.js';
import { parseTranscript } from '../domain/run/transcript.js';
import { FailedError, UsageError } from '../errors.js';
import { readNewCommits } from '../git/worker-history.js';
import { renderCommits, renderEntries, renderTranscript } from '../render/run/transcript.js';
import { readRunRecord, type AttemptRecord } from '../store/run/run-record.js';
import { loadActivePlan, unknownWorkersError } from './active-plan.js';

export interface LogsOptions {
  worker: string;
  plan?: string;
  attempt?: string;
  raw?: boolean;
  follow?: boolean;
}

/** `pw logs <worker>`: one attempt of a worker's agent, rendered for a person, or `--raw`. */
export async function runLogs(options: LogsOptions, deps: CommandDeps): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan, { includeTornDown: true });
  const worker = plan.workers.find((w) => w.id === options.worker);
  if (!worker) {
    throw unknownWorkersError(plan, [options.worker]);
  }
  const record = await readRunRecord(repo.commonDir, plan.name, {
    tornDown: Boolean(plan.tornDownAt),
  });
  const attempts = record?.workers[worker.id]?.attempts ?? [];
  if (attempts.length === 0) {
    throw new FailedError(`no agent of worker ${worker.id} has run yet (plan ${plan.name})`, [
      `pw run starts it; pw run --only ${worker.id} starts just this one.`,
    ]);
  }
  const n = options.attempt === undefined ? attempts.length : Number(options.attempt);
  const attempt = attempts.find((a) => a.n === n);
  if (!Number.isInteger(n) || !attempt) {
    throw new UsageError(`--attempt ${options.attempt}: worker ${worker.id} has no such attempt`, [
      `Its attempts are 1 to ${attempts.length}; without --attempt, pw logs shows the last.`,
    ]);
  }
  let log: string;
  try {
    log = await readFile(attempt.log, 'utf8');
  } catch {
    throw new FailedError(`the log of ${worker.id} attempt ${n} is gone: ${attempt.log}`, [
      'Logs live in the plan folder under the git directory; pw teardown --purge removes them.',
    ]);
  }
  const following = options.follow === true && attempt.endedAt === null;
  if (options.raw) deps.stdout(log);
  else {
    const entries = parseTranscript(log);
    // While following, the commits come once the attempt ends.
    const commits = following
      ? []
      : await readAttemptCommits(deps, worker, plan, attempts, attempt);
    const text = renderTranscript({
      worker: worker.id,
      attempt,
      attemptCount: attempts.length,
      entries,
      commits,
    });
    deps.stdout(following ? `${text.split('\n').slice(0, -2).join('\n')}\n` : text);
  }
  if (!following) return { exitCode: 0 };

  const ended = await follow(
    attempt.log,
    Buffer.byteLength(log),
    options.raw === true,
    untilReaderGone(deps),
    () =>
      readRunRecord(repo.commonDir, plan.name, { tornDown: Boolean(plan.tornDownAt) }).then(
        (r) => r?.workers[worker.id]?.attempts.find((a) => a.n === n) ?? null,
      ),
  );
  if (ended && !options.raw)
    deps.stdout(
      `${renderCommits(await readAttemptCommits(deps, worker, plan, attempts, ended)).join('\n')}\n`,
    );
  return { exitCode: 0 };
}

/**
 * The worker's commits made during an attempt, oldest first: from the branch
 * tip when it started to the tip when the next one started (or now). Records
 * of older runs, with no start tip, fall back to committer times.
 */
async function readAttemptCommits(
  deps: CommandDeps,
  worker: CompiledWorker,
  plan: CompiledPlan,
  attempts: readonly AttemptRecord[],
  attempt: AttemptRecord,
): Promise<{ sha: string; subject: string }[] | null> {
  const next = attempts.find((a) => a.n === attempt.n + 1);
  const end = next?.tipAtStart ?? `refs/heads/${worker.branch}`;
  try {
    if (attempt.tipAtStart) {
      const { commits } = await readNewCommits(worker.worktree, end, [attempt.tipAtStart]);
      return commits.reverse().map(subjectOf);
    }
    const from = Date.parse(attempt.startedAt) - 1000;
    const to = attempt.endedAt ? Date.parse(attempt.endedAt) + 1000 : deps.now().getTime() + 1000;
    const { commits } = await readNewCommits(worker.worktree, end, [plan.baseCommit]);
    return commits
      .filter((c) => c.commitTime >= from && c.commitTime <= to)
      .reverse()
      .map(subjectOf);
  } catch {
    return null;
  }
}

function subjectOf(commit: { sha: string; message: string }): { sha: string; subject: string } {
  return { sha: commit.sha, subject: commit.message.split('\n')[0] ?? '' };
}

/**
 * Prints what the agent adds to its log until its attempt ends or the user
 * interrupts: woken by the file changing, with a one-second look as a
 * fallback where file events are not delivered.
 */
async function follow(
  path: string,
  from: number,
  raw: boolean,
  deps: CommandDeps,
  readAttempt: () => Promise<AttemptRecord | null>,
): Promise<AttemptRecord | null> {
  let offset = from;
  let pending = '';
  let interrupted = false;
  void deps.interrupted.then(() => {
    interrupted = true;
  });
  const handle = await open(path, 'r');
  let wake: (() => void) | null = null;
  const watcher = watch(path, () => wake?.());
  try {
    for (;;) {
      const attempt = await readAttempt();
      const { size } = await handle.stat();
      if (size > offset) {
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const text = pending + buffer.toString('utf8');
        const cut = text.lastIndexOf('\n') + 1;
        pending = text.slice(cut);
        if (cut > 0) {
          if (raw) deps.stdout(text.slice(0, cut));
          else {
            const lines = renderEntries(parseTranscript(text.slice(0, cut)));
            if (lines.length) deps.stdout(`${lines.join('\n')}\n`);
          }
        }
      }
      if (interrupted) return null;
      if (!attempt || attempt.endedAt !== null) {
        if (pending && raw) deps.stdout(pending);
        return attempt;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        void deps.interrupted.then(() => wake?.());
      });
      wake = null;
    }
  } finally {
    watcher.close();
    await handle.close();
  }
}
