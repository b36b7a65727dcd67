import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcStatStartTime } from '../../src/store/process-identity.js';
import { repoLockPath, withRepoLock } from '../../src/store/repo-lock.js';

let commonDir: string;
const stderr: string[] = [];
const deps = {
  env: { PW_LOCK_WAIT: '30' },
  now: () => new Date('2026-01-02T03:04:05Z'),
  stderr: (text: string) => void stderr.push(text),
};
beforeEach(() => {
  commonDir = mkdtempSync(join(tmpdir(), 'pw-lock-'));
  stderr.length = 0;
});
afterEach(() => rmSync(commonDir, { recursive: true, force: true }));

describe('withRepoLock', () => {
  it('holds the lock with its holder while the work runs, and removes it after', async () => {
    const holder = await withRepoLock(
      commonDir,
      'setup',
      deps,
      async () =>
        JSON.parse(readFileSync(repoLockPath(commonDir), 'utf8')) as Record<string, unknown>,
    );
    expect(holder).toMatchObject({
      pid: process.pid,
      command: 'setup',
      since: '2026-01-02T03:04:05.000Z',
    });
    expect(existsSync(repoLockPath(commonDir))).toBe(false);
    expect(stderr).toEqual([]);
  });

  it('is taken while other commands release theirs and remove the emptied pw folder', async () => {
    // Another command's releases, over and over: the folder is there, then gone (rmdir).
    // mkdir -p can find it, then fail to check it is a folder: that is a retry, not an error.
    const dir = join(commonDir, 'pw');
    let stop = false;
    const churn = (async () => {
      while (!stop) {
        await mkdir(dir).catch(() => undefined);
        await rmdir(dir).catch(() => undefined);
      }
    })();
    let taken = 0;
    try {
      for (let i = 0; i < 300; i++)
        await withRepoLock(commonDir, 'setup', deps, async () => taken++);
    } finally {
      stop = true;
      await churn;
    }
    expect(taken).toBe(300);
    expect(existsSync(repoLockPath(commonDir))).toBe(false);
  });

  it('is re-entrant within one call chain (run taking it around setup, which takes it too)', async () => {
    const inner = await withRepoLock(commonDir, 'run', deps, () =>
      withRepoLock(commonDir, 'setup', deps, async () =>
        readFileSync(repoLockPath(commonDir), 'utf8'),
      ),
    );
    expect(JSON.parse(inner)).toMatchObject({ command: 'run' });
  });

  it('two unrelated callers in one process take turns', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = withRepoLock(commonDir, 'setup', deps, async () => {
      order.push('first in');
      await firstHolds;
      order.push('first out');
    });
    while (!existsSync(repoLockPath(commonDir))) await new Promise((r) => setTimeout(r, 5));
    const second = withRepoLock(commonDir, 'teardown', deps, async () => {
      order.push('second in');
    });
    await new Promise((r) => setTimeout(r, 200));
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });

  it('releases the lock when the work throws', async () => {
    await expect(
      withRepoLock(commonDir, 'setup', deps, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(repoLockPath(commonDir))).toBe(false);
  });

  it('refuses a PW_LOCK_WAIT that is not a number of seconds', async () => {
    await expect(
      withRepoLock(commonDir, 'setup', { ...deps, env: { PW_LOCK_WAIT: 'soon' } }, async () => 1),
    ).rejects.toThrow('PW_LOCK_WAIT=soon is not a number of seconds');
  });
});

describe('parseProcStatStartTime', () => {
  it('counts fields after the last ")", so a command name with spaces and parentheses does not shift them', () => {
    const rest = Array.from({ length: 30 }, (_, i) => String(i + 3));
    rest[0] = 'S';
    expect(parseProcStatStartTime(`123 (a) b (c) ${rest.join(' ')}`)).toBe('22');
    expect(parseProcStatStartTime('garbage')).toBe(null);
  });
});
