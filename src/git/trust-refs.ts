import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { planPaths } from '../store/trusted-store.js';
import { runGit } from './run-git.js';

/**
 * What setup wrote, kept where a file edit cannot reach it: the trusted plan
 * as a git blob under `refs/pw/<plan>/trust/plan`, and how long the events
 * log was the last time pw wrote to it under `refs/pw/<plan>/trust/events`.
 * The reference-transaction hook refuses to move these refs from a worker
 * worktree, so a worker cannot change a trusted file and its record together.
 */

export function trustRefPrefix(plan: string): string {
  return `refs/pw/${plan}/trust/`;
}

export function trustedPlanRef(plan: string): string {
  return `${trustRefPrefix(plan)}plan`;
}

export function eventsMarkRef(plan: string): string {
  return `${trustRefPrefix(plan)}events`;
}

/** How much of the events log pw has written: its length and the digest of those bytes. */
export interface EventsMark {
  size: number;
  sha256: string;
}

// pw's own record keeping: the user's reference-transaction hooks (and pw's,
// which refuse these refs in a worker worktree) have nothing to say about it.
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

async function writeBlobRef(cwd: string, ref: string, content: string): Promise<void> {
  const { stdout } = await runGit(['hash-object', '-w', '--stdin'], { cwd, input: content });
  await runGit([...NO_HOOKS, 'update-ref', '-m', 'pw trust', ref, stdout.trim()], { cwd });
}

async function readBlobRef(cwd: string, ref: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit(['cat-file', '-p', `${ref}^{blob}`], {
    cwd,
    okExitCodes: [1, 128],
  });
  return exitCode === 0 ? stdout : null;
}

/** Records the text of the trusted plan.json setup (or teardown) just wrote. */
export function recordTrustedPlan(cwd: string, plan: string, text: string): Promise<void> {
  return writeBlobRef(cwd, trustedPlanRef(plan), text);
}

/** The plan.json text setup recorded; null when none is recorded (set up by an older pw). */
export function readTrustedPlanText(cwd: string, plan: string): Promise<string | null> {
  return readBlobRef(cwd, trustedPlanRef(plan));
}

export function digestEvents(bytes: Buffer): EventsMark {
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function readEventsBytes(commonDir: string, plan: string): Promise<Buffer | null> {
  return readFile(planPaths(commonDir, plan).events).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/** Records the events log as it is now: pw wrote it, so this much must stay. */
export async function recordEventsMark(
  cwd: string,
  commonDir: string,
  plan: string,
): Promise<void> {
  const bytes = (await readEventsBytes(commonDir, plan)) ?? Buffer.alloc(0);
  await writeBlobRef(cwd, eventsMarkRef(plan), `${JSON.stringify(digestEvents(bytes))}\n`);
}

/** The recorded mark, and the first `mark.size` bytes of the log now (null: no log). */
export async function readEventsAgainstMark(
  cwd: string,
  commonDir: string,
  plan: string,
): Promise<{ mark: EventsMark | null; now: Buffer | null }> {
  const [text, now] = await Promise.all([
    readBlobRef(cwd, eventsMarkRef(plan)),
    readEventsBytes(commonDir, plan),
  ]);
  let mark: EventsMark | null = null;
  try {
    mark = text === null ? null : (JSON.parse(text) as EventsMark);
  } catch {
    mark = null;
  }
  return { mark, now };
}

/** Names of the plans with a recorded trusted plan. */
export async function listTrustedPlanNames(cwd: string): Promise<string[]> {
  const { stdout } = await runGit(['for-each-ref', '--format=%(refname)', 'refs/pw/'], { cwd });
  const names: string[] = [];
  for (const ref of stdout.split('\n')) {
    const match = /^refs\/pw\/(.+)\/trust\/plan$/.exec(ref);
    if (match) names.push(match[1]!);
  }
  return names.sort();
}

/** Drops a plan's trust refs (teardown --purge). */
export async function deleteTrustRefs(cwd: string, plan: string): Promise<void> {
  await runGit([...NO_HOOKS, 'update-ref', '--stdin'], {
    cwd,
    input: `delete ${trustedPlanRef(plan)}\ndelete ${eventsMarkRef(plan)}\n`,
  });
}
