import { join } from 'node:path';
import { planDir, readTextIfExists, removePath, writeFileAtomic } from './trusted-store.js';

/**
 * What this repository knows about a plan's hub, beside the plan's trusted
 * copy: whether it published the plan there (`pw setup --hub`, `pw publish`,
 * `pw hooks install --hub`) or joined it as one worker (`pw join`), and what
 * it changed for that, so teardown removes exactly that. Deleting it loses
 * no work: the branches and the hub say the rest.
 */
export interface HubRecord {
  /** A remote name, a URL or an absolute path, as git is given it. */
  hub: string;
  role: 'published' | 'joined';
  /** role 'joined': the one worker set up here. */
  worker?: string;
  /** Whether pw wrote `pw.hub` in the repository config (so teardown unsets it). */
  setHubConfig: boolean;
}

export function hubRecordPath(commonDir: string, plan: string): string {
  return join(planDir(commonDir, plan), 'hub.json');
}

export async function readHubRecord(commonDir: string, plan: string): Promise<HubRecord | null> {
  const text = await readTextIfExists(hubRecordPath(commonDir, plan));
  if (text === null) return null;
  try {
    const record = JSON.parse(text) as HubRecord;
    return typeof record.hub === 'string' ? record : null;
  } catch {
    return null;
  }
}

export async function writeHubRecord(
  commonDir: string,
  plan: string,
  record: HubRecord,
): Promise<void> {
  await writeFileAtomic(hubRecordPath(commonDir, plan), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * Where a worker's post-commit hook looks: `push/<worker>.conf` (the hub, the
 * branch and the main worktree it pushes from, one a line: its presence
 * switches the push on), `.log` (what
 * the background pushes said) and `.failed` (the last one gave up).
 */
export function pushPaths(commonDir: string, plan: string, worker: string) {
  const base = join(planDir(commonDir, plan), 'push', worker);
  return {
    dir: join(planDir(commonDir, plan), 'push'),
    conf: `${base}.conf`,
    log: `${base}.log`,
    failed: `${base}.failed`,
  };
}

/** Switches the post-commit push of a worker on. */
export async function writePushConf(
  commonDir: string,
  plan: string,
  worker: string,
  push: { hub: string; branch: string; from: string },
): Promise<void> {
  await writeFileAtomic(
    pushPaths(commonDir, plan, worker).conf,
    `${push.hub}\n${push.branch}\n${push.from}\n`,
  );
}

/** The worker's push settings; null when its commits are not pushed. */
export async function readPushConf(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<{ hub: string; branch: string } | null> {
  const text = await readTextIfExists(pushPaths(commonDir, plan, worker).conf);
  const [hub, branch] = text?.split('\n') ?? [];
  return hub && branch ? { hub, branch } : null;
}

/** The marker of a background push that gave up, and its message; null when none. */
export function readPushFailure(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<string | null> {
  return readTextIfExists(pushPaths(commonDir, plan, worker).failed);
}

export async function clearPushFailure(
  commonDir: string,
  plan: string,
  worker: string,
): Promise<void> {
  await removePath(pushPaths(commonDir, plan, worker).failed);
}

/** Switches every post-commit push of the plan off (teardown). */
export async function removePushFolder(commonDir: string, plan: string): Promise<void> {
  await removePath(join(planDir(commonDir, plan), 'push'));
}
