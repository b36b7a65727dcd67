import { link, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isSameProcessAlive } from '../process-identity.js';
import { planDir, readTextIfExists, writeFileAtomic } from '../trusted-store.js';

/**
 * `<common-dir>/pw/<plan>/attach/<worker>.json`: a `pw attach` holds the
 * worker's worktree. While its process lives, `pw run` starts no agent for
 * that worker and a second `pw attach` refuses: one live agent per worktree.
 * The file names pw attach itself and, once started, the interactive agent,
 * each with its start time, so a marker left by a dead process is known as
 * stale and ignored.
 */
export interface AttachMarker {
  version: 1;
  plan: string;
  worker: string;
  /** The `pw attach` process; it removes the marker when the session ends. */
  pid: number;
  startTime: string | null;
  /** The interactive agent, once started. */
  agentPid: number | null;
  agentStartTime: string | null;
  startedAt: string;
  argv: string[];
}

export function attachDir(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'attach');
}

export function attachMarkerPath(commonDir: string, plan: string, worker: string): string {
  return join(attachDir(commonDir, plan), `${worker}.json`);
}

function parseMarker(text: string | null): AttachMarker | null {
  if (text === null) return null;
  try {
    const marker = JSON.parse(text) as AttachMarker;
    return marker.version === 1 && typeof marker.pid === 'number' ? marker : null;
  } catch {
    return null;
  }
}

export async function readAttachMarker(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<AttachMarker | null> {
  return parseMarker(await readTextIfExists(attachMarkerPath(commonDir, plan, worker)));
}

/** Whether the pw attach of a marker, or the agent it started, still runs. */
export async function isAttachMarkerLive(marker: AttachMarker): Promise<boolean> {
  if (await isSameProcessAlive({ pid: marker.pid, startTime: marker.startTime })) return true;
  return (
    marker.agentPid !== null &&
    (await isSameProcessAlive({ pid: marker.agentPid, startTime: marker.agentStartTime }))
  );
}

/** Every marker of a plan, split into the live ones (by worker) and the stale ones. */
export async function readAttachMarkers(
  commonDir: string,
  plan: string,
): Promise<{ live: Map<string, AttachMarker>; stale: AttachMarker[] }> {
  const live = new Map<string, AttachMarker>();
  const stale: AttachMarker[] = [];
  let names: string[];
  try {
    names = await readdir(attachDir(commonDir, plan));
  } catch {
    return { live, stale };
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const marker = parseMarker(await readTextIfExists(join(attachDir(commonDir, plan), name)));
    if (!marker) continue;
    if (await isAttachMarkerLive(marker)) live.set(marker.worker, marker);
    else stale.push(marker);
  }
  return { live, stale };
}

export type ClaimResult =
  { claimed: true; stale: AttachMarker | null } | { claimed: false; holder: AttachMarker };

/**
 * Takes the worker's marker, exclusively: written in full to a temporary
 * file, then hard-linked into place (link(2) fails when the name exists), so
 * no reader sees half a marker and two attaches cannot both win. A marker of
 * a dead process is replaced and returned as `stale`.
 */
export async function claimAttachMarker(
  commonDir: string,
  marker: AttachMarker,
): Promise<ClaimResult> {
  const path = attachMarkerPath(commonDir, marker.plan, marker.worker);
  const temp = `${path}.tmp-${process.pid}`;
  const text = `${JSON.stringify(marker, null, 2)}\n`;
  // The folder may vanish under us once: another attach removing it with its last marker.
  await writeFileAtomic(temp, text, 0o600).catch(() => writeFileAtomic(temp, text, 0o600));
  let stale: AttachMarker | null = null;
  try {
    for (let tries = 0; tries < 3; tries++) {
      try {
        await link(temp, path);
        return { claimed: true, stale };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = parseMarker(await readTextIfExists(path));
      if (held && (await isAttachMarkerLive(held))) return { claimed: false, holder: held };
      stale = held ?? stale;
      await unlink(path).catch(() => undefined);
    }
    throw new Error(`could not create ${path}: it keeps reappearing`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Rewrites our own marker (the agent's pid once it runs). */
export async function updateAttachMarker(commonDir: string, marker: AttachMarker): Promise<void> {
  await writeFileAtomic(
    attachMarkerPath(commonDir, marker.plan, marker.worker),
    `${JSON.stringify(marker, null, 2)}\n`,
    0o600,
  );
}

/** Removes the marker if it is still ours (the same pw attach process). */
export async function releaseAttachMarker(commonDir: string, marker: AttachMarker): Promise<void> {
  const path = attachMarkerPath(commonDir, marker.plan, marker.worker);
  const held = parseMarker(await readTextIfExists(path));
  if (held && held.pid === marker.pid && held.startTime === marker.startTime)
    await unlink(path).catch(() => undefined);
  // The folder goes with its last marker (rmdir refuses while another remains).
  await rmdir(attachDir(commonDir, marker.plan)).catch(() => undefined);
}
