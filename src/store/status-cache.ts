import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { StatusViolation } from '../domain/status/plan-status.js';
import type { HistoryBasis } from '../domain/status/increment.js';
import type { WorkerHistorySummary } from '../domain/status/summarize-worker-history.js';
import { planDir, readTextIfExists, writeFileAtomic } from './trusted-store.js';
import { PW_VERSION } from '../cli/package-files.js';

/**
 * What status derives from commits alone, kept by a key over every input
 * (each ref's commit, the plan's workers and scopes, this program's version).
 * Commits never change, so an entry under the same key cannot be wrong; any
 * ref update makes a new key. Not state: deleting the file loses nothing.
 */
export interface StatusCacheEntry {
  version: typeof CACHE_VERSION;
  key: string;
  summaries: WorkerHistorySummary[];
  tips: [string, { ref: string; sha: string }][];
  aheadBehind: [string, { ahead: number; behind: number }][];
  violations: StatusViolation[];
  warnings: string[];
  /** What the entry was computed from (its key's parts), for building on it when only branches moved. */
  basis?: HistoryBasis;
  /** No commit lay on two workers' chains (chainsAreDisjoint). */
  disjoint?: boolean;
}

// 2: Provides items read by git's trailer rules (the last paragraph only).
// 3: merge commits counted apart (a worker with merges only is pending).
const CACHE_VERSION = 3;

export function statusCachePath(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'cache', 'status.json');
}

/** The cache key: a hash over everything the cached part is a function of. */
export function statusCacheKey(parts: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([CACHE_VERSION, PW_VERSION, parts]))
    .digest('hex');
}

export async function readStatusCache(
  commonDir: string,
  plan: string,
  key: string,
): Promise<StatusCacheEntry | null> {
  const entry = await readLatestStatusCache(commonDir, plan);
  return entry?.key === key ? entry : null;
}

/** The entry as the last status left it, whatever its key (null when none, or unreadable). */
export async function readLatestStatusCache(
  commonDir: string,
  plan: string,
): Promise<StatusCacheEntry | null> {
  const text = await readTextIfExists(statusCachePath(commonDir, plan)).catch(() => null);
  if (text === null) return null;
  try {
    const entry = JSON.parse(text) as StatusCacheEntry;
    return entry.version === CACHE_VERSION ? entry : null;
  } catch {
    return null;
  }
}

/** Best effort: a read-only repository, or a concurrent writer, only costs the next run a recompute. */
export async function writeStatusCache(
  commonDir: string,
  plan: string,
  entry: Omit<StatusCacheEntry, 'version'>,
): Promise<void> {
  await writeFileAtomic(
    statusCachePath(commonDir, plan),
    JSON.stringify({ version: CACHE_VERSION, ...entry }),
  ).catch(() => undefined);
}
