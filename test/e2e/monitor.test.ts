import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLength } from '../../src/render/table.js';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';
import { builtBin } from '../helpers/temp-repo.js';

// The built binary: pw status / pw monitor, --events and --watch as child
// processes followed line by line, pw wait's exit codes.

let repo: PlanRepo;
beforeAll(() => {
  repo = createPlanRepo();
});
afterAll(() => repo.cleanup());

/** A running `pw` whose stdout is read as it comes. */
class Follower {
  readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private errors = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [builtBin, ...args], { cwd: repo.dir, env: repo.env });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      this.buffer += text;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.errors += text;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get output(): string {
    return this.buffer;
  }

  get stderr(): string {
    return this.errors;
  }

  /** Resolves once the output satisfies `done`; fails after `ms` (a bound, not a pause). */
  async until(done: (output: string) => boolean, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!done(this.buffer)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no such output within ${ms} ms; got:\n${this.buffer}\nstderr:\n${this.errors}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.buffer;
  }

  async untilStderr(done: (stderr: string) => boolean, ms = 20_000): Promise<void> {
    await this.until(() => done(this.errors), ms);
  }

  lines(): Record<string, unknown>[] {
    return this.buffer
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

// Each commit a second after the last, so the order in history is the order they were made.
let clock = Math.floor(Date.now() / 1000);
const commit = (worker: string, message: string) => {
  const date = `@${++clock} +0000`;
  repo.git(['commit', '-q', '--allow-empty', '-m', message], {
    cwd: repo.wt(worker),
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
};

describe('pw status (built binary)', () => {
  it('status and monitor are the same command; the table fits 80 columns; --json has the schema version', () => {
    // Two runs at different moments print ages (IDLE): pin pw's clock to one moment so they compare.
    const clock = { env: { PW_NOW: new Date().toISOString() } };
    const status = repo.pw(['status'], clock);
    const monitor = repo.pw(['monitor'], clock);
    expect(status.status).toBe(0);
    expect(status.stderr).toBe('');
    expect(status.stdout).toBe(monitor.stdout);
    expect(status.stdout).toContain('0/3 complete · 3 pending');
    for (const line of status.stdout.split('\n'))
      expect(visibleLength(line)).toBeLessThanOrEqual(80);
    const json = JSON.parse(repo.pw(['status', '--json']).stdout);
    expect(json.schemaVersion).toBe(1);
    expect(Object.keys(json.workers[0])).toEqual(
      expect.arrayContaining(['id', 'state', 'branch', 'worktree', 'needs', 'violations']),
    );
    expect(json.deadlocks).toEqual([]);
  });

  it('says what is wrong with bad options (exit 2)', () => {
    const since = repo.pw(['status', '--since', '1h']);
    expect(since.status).toBe(2);
    expect(since.stderr).toContain('--since only applies to --events');
    const both = repo.pw(['status', '--watch', '--events']);
    expect(both.status).toBe(2);
    const interval = repo.pw(['status', '--events', '--interval', 'often']);
    expect(interval.status).toBe(2);
    expect(interval.stderr).toContain('--interval "often"');
    const fetch = repo.pw(['status', '--fetch']);
    expect(fetch.status).toBe(2);
    expect(fetch.stderr).toContain('this repository has no remote');
  });
});

describe('pw monitor --events', () => {
  it('prints one JSON line per change as it happens, and stops cleanly when killed', async () => {
    const follower = new Follower(['monitor', '--events', '--interval', '30s']);
    try {
      // Nothing has happened yet, and without --since nothing is replayed: wait
      // for the first read to finish (the status cache file appears), then act.
      await follower.untilStderr((err) => err.includes('following plan demo'));
      commit('api', '[CHECKPOINT] first step');
      await follower.until((out) => out.includes('"checkpoint"'));
      commit('web', '[NEEDS:api/schema] need the schema');
      await follower.until((out) => out.includes('"needs"'));
      commit('api', '[CHECKPOINT] the schema\n\nProvides: schema');
      await follower.until((out) => out.includes('"needs-resolved"'));
      const events = follower.lines();
      expect(events.map((e) => [e.type, e.worker])).toEqual([
        ['started', 'api'],
        ['checkpoint', 'api'],
        ['started', 'web'],
        ['needs', 'web'],
        ['checkpoint', 'api'],
        ['needs-resolved', 'web'],
      ]);
      expect(events[3]).toMatchObject({
        schemaVersion: 1,
        plan: 'demo',
        needs: { worker: 'api', item: 'schema' },
        header: '[NEEDS:api/schema] need the schema',
      });
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    } finally {
      follower.child.kill('SIGINT');
    }
    expect(await follower.exited).toBe(0);
  });

  it('--since start replays the history first, then follows', async () => {
    const follower = new Follower(['monitor', '--events', '--since', 'start', '--interval', '30s']);
    try {
      await follower.until((out) => out.includes('"needs-resolved"'));
      expect(follower.lines().map((e) => e.type)).toEqual([
        'started',
        'checkpoint',
        'started',
        'needs',
        'checkpoint',
        'needs-resolved',
      ]);
      commit('api', '[COMPLETE] api done');
      await follower.until((out) => out.includes('"complete"'));
      expect(follower.lines().at(-1)).toMatchObject({ type: 'complete', worker: 'api' });
    } finally {
      follower.child.kill('SIGTERM');
    }
    expect(await follower.exited).toBe(0);
  });
});

describe('pw monitor --watch (not a terminal)', () => {
  it('prints the table, then again only when something changed; Ctrl-C ends it with 0', async () => {
    const follower = new Follower(['monitor', '--watch', '--interval', '30s']);
    try {
      await follower.until((out) => out.includes('NOTE'));
      const first = follower.output;
      expect(first).not.toContain('\x1b[');
      expect(first).toMatch(/db\s+pending/);
      commit('db', '[BLOCKED:waiting for a DBA] parked');
      await follower.until((out) => /db\s+blocked/.test(out));
      // Two frames, separated by a blank line, and no escape codes off a terminal.
      expect(follower.output.split('NOTE')).toHaveLength(3);
    } finally {
      follower.child.kill('SIGINT');
    }
    expect(await follower.exited).toBe(0);
  });
});

describe('pw wait (built binary)', () => {
  it('exits 1 naming the blocked worker, 124 on timeout, and 0 once all are complete', async () => {
    const blocked = repo.pw(['wait']);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout).toContain('db is blocked: waiting for a DBA');

    commit('db', '[CHECKPOINT] unblocked');
    // Reading the status takes real time; a pinned clock makes the waited time exactly 0s.
    const timeout = repo.pw(['wait', '--timeout', '0'], {
      env: { PW_NOW: new Date().toISOString() },
    });
    expect(timeout.status).toBe(124);
    expect(timeout.stdout).toMatch(/^timed out after 0s: 1\/3 complete/);

    const waiting = new Follower(['wait', '--interval', '30s']);
    try {
      await waiting.untilStderr((err) => err.includes('waiting for plan demo'));
      commit('web', '[COMPLETE] web done');
      commit('db', '[COMPLETE] db done');
      expect(await waiting.exited).toBe(0);
      expect(waiting.output).toContain('all 3 workers are complete');
    } finally {
      waiting.child.kill();
    }
  });
});
