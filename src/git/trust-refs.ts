import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { planPaths } from '../store/trusted-store.js';
import { EnvironmentError } from '../errors.js';
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

/** The text of each ref's blob (null: no such ref), in one `git cat-file --batch`. */
async function readBlobRefs(cwd: string, refs: readonly string[]): Promise<(string | null)[]> {
  if (refs.length === 0) return [];
  const { stdoutBytes: out } = await runGit(['cat-file', '--batch'], {
    cwd,
    input: refs.map((ref) => `${ref}^{blob}\n`).join(''),
  });
  // Sizes are in bytes (git-cat-file(1), BATCH OUTPUT): walk the output as git wrote it.
  const texts: (string | null)[] = [];
  let at = 0;
  for (let i = 0; i < refs.length; i += 1) {
    const end = out.indexOf(0x0a, at);
    if (end < 0) break;
    const header = out.subarray(at, end).toString('utf8').split(' ');
    at = end + 1;
    if (header[1] !== 'blob') {
      texts.push(null);
      continue;
    }
    const size = Number(header[2]);
    if (!Number.isSafeInteger(size) || out[at + size] !== 0x0a) throw unreadable('cat-file');
    texts.push(out.subarray(at, at + size).toString('utf8'));
    at += size + 1;
  }
  while (texts.length < refs.length) texts.push(null);
  return texts;
}

/** git printed what it documents it never prints: read nothing rather than misread a record. */
function unreadable(command: string): EnvironmentError {
  return new EnvironmentError(`git ${command} printed the trust records in a form pw cannot read`, [
    'Check the repository with git fsck, and the git on PATH with git version (pw needs 2.38 or newer).',
  ]);
}

async function readBlobRef(cwd: string, ref: string): Promise<string | null> {
  return (await readBlobRefs(cwd, [ref]))[0] ?? null;
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

function parseMark(text: string | null): EventsMark | null {
  try {
    return text === null ? null : (JSON.parse(text) as EventsMark);
  } catch {
    return null;
  }
}

/** What setup recorded for one plan: the plan text and the events mark (null: none recorded). */
export interface TrustRecord {
  planText: string | null;
  mark: EventsMark | null;
}

/** The trust record of each plan, all in one git call. */
export async function readTrustRecords(
  cwd: string,
  plans: readonly string[],
): Promise<TrustRecord[]> {
  const texts = await readBlobRefs(
    cwd,
    plans.flatMap((plan) => [trustedPlanRef(plan), eventsMarkRef(plan)]),
  );
  return plans.map((_, i) => ({
    planText: texts[2 * i] ?? null,
    mark: parseMark(texts[2 * i + 1] ?? null),
  }));
}

/** The recorded plan text and events mark of one plan, in one git call. */
export async function readTrustRecord(cwd: string, plan: string): Promise<TrustRecord> {
  return (await readTrustRecords(cwd, [plan]))[0]!;
}

/** The events log of a plan as bytes; null when there is none. */
export function readEventsLog(commonDir: string, plan: string): Promise<Buffer | null> {
  return readEventsBytes(commonDir, plan);
}

/**
 * Every trust record under refs/pw/, by plan name (a plan with either ref),
 * and the names of the plans with a recorded trusted plan, in one git call:
 * for-each-ref prints each record's blob itself (`%(raw)`, git 2.36 and
 * later), so no `cat-file` follows.
 */
export async function readAllTrustRecords(
  cwd: string,
): Promise<{ records: Map<string, TrustRecord>; planNames: string[] }> {
  const { stdoutBytes } = await runGit(
    [
      'for-each-ref',
      '--format=%(refname)%00%(objecttype)%00%(raw:size)%00%(raw)',
      `${trustRefPrefix('*')}plan`,
      `${trustRefPrefix('*')}events`,
    ],
    { cwd },
  );
  // Sizes are in bytes: walk the output as git wrote it (a blob need not be
  // UTF-8). Each entry is three NUL-ended fields, the blob, and a newline.
  const out = stdoutBytes;
  const plans = new Map<string, string | null>();
  const marks = new Map<string, string | null>();
  let at = 0;
  while (at < out.length) {
    const fields: string[] = [];
    for (let f = 0; f < 3; f += 1) {
      const end = out.indexOf(0, at);
      if (end < 0) throw unreadable('for-each-ref');
      fields.push(out.subarray(at, end).toString('utf8'));
      at = end + 1;
    }
    const [ref = '', type, size] = fields;
    const length = Number(size);
    if (!/^\d+$/.test(size ?? '') || out[at + length] !== 0x0a) throw unreadable('for-each-ref');
    const text = out.subarray(at, at + length).toString('utf8');
    at += length + 1;
    const match = /^refs\/pw\/([^/]+)\/trust\/(plan|events)$/.exec(ref);
    if (!match) throw unreadable('for-each-ref');
    (match[2] === 'plan' ? plans : marks).set(match[1]!, type === 'blob' ? text : null);
  }
  return recordsOf(plans, marks);
}

function recordsOf(
  plans: Map<string, string | null>,
  marks: Map<string, string | null>,
): { records: Map<string, TrustRecord>; planNames: string[] } {
  const records = new Map<string, TrustRecord>();
  for (const name of new Set([...plans.keys(), ...marks.keys()]))
    records.set(name, {
      planText: plans.get(name) ?? null,
      mark: parseMark(marks.get(name) ?? null),
    });
  return { records, planNames: [...plans.keys()] };
}

/** Drops a plan's trust refs (teardown --purge). */
export async function deleteTrustRefs(cwd: string, plan: string): Promise<void> {
  await runGit([...NO_HOOKS, 'update-ref', '--stdin'], {
    cwd,
    input: `delete ${trustedPlanRef(plan)}\ndelete ${eventsMarkRef(plan)}\n`,
  });
}
