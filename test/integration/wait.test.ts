import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../src/cli/deps.js';
import { runWait } from '../../src/commands/wait.js';
import { UsageError } from '../../src/errors.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

const MIN = 60_000;
let repo: PlanRepo;
let t0: number;
const savedEnv = { ...process.env };

function waitAt(minutes: number, options: Record<string, unknown> = {}) {
  let stdout = '';
  let stop: () => void = () => {};
  let clockReads = 0;
  let looked: () => void = () => {};
  // runWait reads the clock when it starts, for the first read, and to judge it:
  // after the third read it has looked once and waits for a change.
  const firstLook = new Promise<void>((resolve) => (looked = resolve));
  const deps: CommandDeps = {
    cwd: repo.dir,
    env: {},
    now: () => {
      if (++clockReads === 3) looked();
      return new Date(t0 + minutes * MIN);
    },
    stdout: (t) => void (stdout += t),
    stderr: () => {},
    isTTY: false,
    interrupted: new Promise((resolve) => (stop = resolve)),
  };
  return { run: runWait(options, deps), out: () => stdout, interrupt: () => stop(), firstLook };
}

function commitAt(worker: string, minutes: number, message: string): void {
  const date = `@${Math.floor((t0 + minutes * MIN) / 1000)} +0000`;
  repo.git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd: repo.wt(worker),
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

beforeAll(() => {
  repo = createPlanRepo();
  Object.assign(process.env, repo.env);
  t0 = Math.floor(Date.now() / 1000) * 1000;
});
afterAll(() => {
  process.env = savedEnv;
  repo.cleanup();
});

describe('pw wait', () => {
  it('rejects a timeout that is not a duration (exit 2)', async () => {
    await expect(waitAt(0, { timeout: 'soon' }).run).rejects.toBeInstanceOf(UsageError);
    await expect(waitAt(0, { interval: '1ms' }).run).rejects.toThrow(/at least 100ms/);
  });

  it('times out with 124 while workers are still working', async () => {
    commitAt('api', 1, '[CHECKPOINT] started');
    const wait = waitAt(2, { timeout: '0s' });
    expect((await wait.run).exitCode).toBe(124);
    expect(wait.out()).toBe('timed out after 0s: 0/3 complete · 1 working · 2 pending\n');
  });

  it('exits 0 as soon as the last worker completes (woken by the ref change)', async () => {
    commitAt('web', 2, '[CHECKPOINT] started');
    const wait = waitAt(3, { interval: '10m' });
    await wait.firstLook;
    commitAt('api', 3, '[COMPLETE] api');
    commitAt('web', 3, '[COMPLETE] web');
    commitAt('db', 3, '[COMPLETE] db');
    const result = await wait.run;
    expect(wait.out()).toBe('all 3 workers are complete · ready to integrate: pw integrate\n');
    expect(result.exitCode).toBe(0);
  });

  it('exits 1 naming the blocked worker and why; --json says the same', async () => {
    commitAt('db', 4, '[BLOCKED:the migration needs a DBA] parked');
    const wait = waitAt(9);
    expect((await wait.run).exitCode).toBe(1);
    expect(wait.out()).toBe(
      'needs attention (2/3 complete · 1 blocked):\n  db is blocked: the migration needs a DBA (for 5m)\n',
    );
    const json = waitAt(9, { json: true });
    expect((await json.run).exitCode).toBe(1);
    const report = JSON.parse(json.out());
    expect(report).toMatchObject({
      schemaVersion: 1,
      outcome: 'attention',
      exitCode: 1,
      reasons: [{ worker: 'db', kind: 'blocked' }],
    });
    expect(report.status.workers).toHaveLength(3);
  });

  it('exits 1 for a stalled worker', async () => {
    commitAt('db', 10, '[CHECKPOINT] back at it');
    const wait = waitAt(10 + 31);
    expect((await wait.run).exitCode).toBe(1);
    expect(wait.out()).toContain('db has stalled: no activity for 31m (limit 30m)');
  });

  it('Ctrl-C stops the wait (130), also before the first read is done', async () => {
    const wait = waitAt(10, { interval: '10m' });
    await wait.firstLook;
    wait.interrupt();
    expect((await wait.run).exitCode).toBe(130);
    expect(wait.out()).toMatch(/^interrupted after 0s: /);
    const early = waitAt(10);
    early.interrupt();
    expect((await early.run).exitCode).toBe(130);
    expect(early.out()).toBe('interrupted before the status was read\n');
  });
});
