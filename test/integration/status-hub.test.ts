import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../src/cli/deps.js';
import { runMonitor } from '../../src/commands/status/index.js';
import { runWait } from '../../src/commands/wait.js';
import type { PlanStatus } from '../../src/domain/status/plan-status.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// Workers on other machines push their branches to a hub (a bare repository);
// `--fetch` brings them in before reading.

let repo: PlanRepo;
let hub: string;
let remote: string;
const savedEnv = { ...process.env };

function deps(now = Date.now()): { deps: CommandDeps; out: () => string; err: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    deps: {
      cwd: repo.dir,
      env: {},
      now: () => new Date(now),
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      isTTY: false,
      interrupted: new Promise(() => {}),
    },
    out: () => stdout,
    err: () => stderr,
  };
}

async function status(options: Record<string, unknown> = {}): Promise<PlanStatus> {
  const d = deps();
  const result = await runMonitor({ json: true, ...options }, d.deps);
  // The first named fetch records the hub (git config pw.hub) and says so, once.
  expect(d.err()).toMatch(/^(pw: the hub is now \S+ \(git config pw\.hub \S+\)[^\n]*\n)?$/);
  expect(result.exitCode).toBe(0);
  return JSON.parse(d.out()) as PlanStatus;
}

/** Commits on a worker branch in the other machine's clone and pushes it to the hub. */
function workElsewhere(worker: string, message: string): void {
  repo.git(['checkout', '-q', `pw/demo/${worker}`], { cwd: remote });
  repo.git(['commit', '-q', '--allow-empty', '-m', message], { cwd: remote });
  repo.git(['push', '-q', 'origin', `pw/demo/${worker}`], { cwd: remote });
}

beforeAll(() => {
  repo = createPlanRepo();
  Object.assign(process.env, repo.env);
  hub = join(repo.root, 'hub.git');
  remote = join(repo.root, 'elsewhere');
  repo.git(['init', '-q', '--bare', hub]);
  repo.git(['remote', 'add', 'hub', hub]);
  repo.git(['push', '-q', 'hub', 'main', 'refs/heads/pw/*:refs/heads/pw/*']);
  repo.git(['clone', '-q', hub, remote]);
});
afterAll(() => {
  process.env = savedEnv;
  repo.cleanup();
});

describe('pw status --fetch', () => {
  it('without --fetch, work pushed to the hub is not seen; with it, it is', async () => {
    workElsewhere('api', '[CHECKPOINT] from another machine');
    workElsewhere('db', '[BLOCKED:no credentials on this box] parked');
    const local = await status();
    expect(local.workers.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);

    const fetched = await status({ fetch: 'hub' });
    expect(fetched.workers.map((w) => w.state)).toEqual(['working', 'pending', 'blocked']);
    const api = fetched.workers[0]!;
    expect(api.tip!.ref).toBe('refs/remotes/hub/pw/demo/api');
    expect(api.lastCommit!.header).toBe('[CHECKPOINT] from another machine');
    // Fetched into remote-tracking refs, never into the local branches (checked out in worktrees).
    expect(repo.git(['rev-parse', 'pw/demo/api'])).toBe(repo.git(['rev-parse', 'main']));
    expect(repo.git(['rev-parse', 'refs/remotes/hub/pw/demo/api'])).toBe(
      repo.git(['rev-parse', 'pw/demo/api'], { cwd: remote }),
    );
    // That fetch recorded the hub: plain status reads (and fetches) it from now on.
    expect(repo.git(['config', 'pw.hub'])).toBe('hub');
    const after = await status({ fetch: false });
    expect(after.workers.map((w) => w.state)).toEqual(['working', 'pending', 'blocked']);
  });

  it('--fetch alone uses the only remote; a path works too', async () => {
    workElsewhere('web', '[COMPLETE] done remotely');
    const byDefault = await status({ fetch: true });
    expect(byDefault.workers[1]!.state).toBe('complete');
    const byPath = await status({ fetch: hub });
    expect(byPath.workers[1]!.tip!.ref).toBe('refs/remotes/pw-hub/pw/demo/web');
  });

  it('the local branch wins when it is ahead of the hub', async () => {
    repo.git(['commit', '-q', '--allow-empty', '-m', '[CHECKPOINT] local work'], {
      cwd: repo.wt('db'),
    });
    // db's local branch does not contain the hub's BLOCKED commit: diverged, the newer wins.
    const diverged = await status({ fetch: 'hub' });
    expect(diverged.warnings.some((w) => w.startsWith('db: ') && w.includes('diverged'))).toBe(
      true,
    );
  });

  it('pw wait --fetch sees the remote workers finish', async () => {
    workElsewhere('api', '[COMPLETE] api done remotely');
    repo.git(['commit', '-q', '--allow-empty', '-m', '[COMPLETE] db done here'], {
      cwd: repo.wt('db'),
    });
    const d = deps();
    const result = await runWait({ fetch: 'hub', timeout: '0s' }, d.deps);
    expect(d.out()).toBe('all 3 workers are complete · ready to integrate: pw integrate\n');
    expect(result.exitCode).toBe(0);
  });

  it('a default fetch that fails is a warning: the copies fetched last are read', async () => {
    repo.git(['config', 'pw.hub', join(repo.root, 'gone.git')]);
    try {
      const offline = await status();
      expect(offline.warnings[0]).toMatch(
        /^could not fetch the worker branches of plan "demo" from .*gone\.git: .*; showing the worker branches as fetched last/,
      );
      const quiet = await status({ fetch: false });
      expect(quiet.warnings.some((w) => w.startsWith('could not fetch'))).toBe(false);
    } finally {
      repo.git(['config', 'pw.hub', 'hub']);
    }
  });

  it('an unreachable hub is an environment error that says what to do', async () => {
    const d = deps();
    await expect(
      runMonitor({ json: true, fetch: join(repo.root, 'nowhere.git') }, d.deps),
    ).rejects.toThrow(/could not fetch the worker branches of plan "demo"/);
  });
});
