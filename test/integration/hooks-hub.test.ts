import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// pre-push in the worker worktrees, and pre-receive in a hub: a bare
// repository workers push to, with a plain clone pushing as well.

let repo: PlanRepo;
let hub: string;
let api: string;

const hubRef = (branch: string): string => repo.git(['rev-parse', branch], { cwd: hub });
const hubEvents = (): Record<string, unknown>[] => {
  try {
    return readFileSync(join(hub, 'pw', 'demo', 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  } catch {
    return [];
  }
};

beforeAll(() => {
  repo = createPlanRepo();
  api = repo.wt('api');
  hub = join(repo.root, 'hub.git');
  repo.git(['init', '-q', '--bare', '-b', 'main', hub]);
  // The hub's own hook, which must still run after pw's.
  writeFileSync(
    join(hub, 'hooks', 'pre-receive'),
    `#!/bin/sh\ncat >> ${JSON.stringify(join(repo.root, 'hub-hook.log'))}\n`,
    { mode: 0o755 },
  );
  repo.git(['remote', 'add', 'hub', hub]);
  const push = repo.gitResult([
    'push',
    '-q',
    'hub',
    'main',
    'pw/demo/api',
    'pw/demo/web',
    'pw/demo/db',
  ]);
  if (push.status !== 0) throw new Error(push.stderr);
});
afterAll(() => repo.cleanup());

describe('pw hooks install --hub', () => {
  it("copies the plan, installs pre-receive and keeps the hub's own hook", () => {
    const before = repo.gitResult(['config', '--local', '--get', 'core.hooksPath'], { cwd: hub });
    expect(before.status).toBe(1);
    const result = repo.pw(['hooks', 'install', '--hub', hub, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      plans: string[];
      hooks: { state: string; chain: string };
    };
    expect(report.plans).toEqual(['demo']);
    expect(report.hooks.state).toBe('active');
    expect(report.hooks.chain).toBe(join(hub, 'hooks'));
    expect(repo.git(['config', '--get', 'core.hooksPath'], { cwd: hub })).toBe(
      join(hub, 'pw', '_hub-hooks'),
    );
  });

  it('pre-push refuses a worker branch carrying a change made with the hooks off', () => {
    repo.write('src/web/app.ts', 'export const app = "pushed";\n', api);
    repo.git(['add', '-A'], { cwd: api });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[CHECKPOINT] hooks off'], {
      cwd: api,
    });
    const before = hubRef('pw/demo/api');
    const result = repo.gitResult(['push', '-q', 'hub', 'HEAD:pw/demo/api'], { cwd: api });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('pw: push refused: 1 worker branch breaks the plan');
    expect(result.stderr).toContain('src/web/app.ts  owned by web');
    expect(repo.refusals().at(-1)).toMatchObject({
      hook: 'pre-push',
      worker: 'api',
      kind: 'scope',
    });
    expect(hubRef('pw/demo/api')).toBe(before);
  });

  it('pre-push judges the whole branch when the remote does not have it yet', () => {
    const fresh = join(repo.root, 'fresh.git');
    repo.git(['init', '-q', '--bare', fresh]);
    const result = repo.gitResult(['push', '-q', fresh, 'HEAD:refs/heads/pw/demo/api'], {
      cwd: api,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('src/web/app.ts  owned by web');
    expect(
      repo.gitResult(['rev-parse', '--verify', '-q', 'pw/demo/api'], { cwd: fresh }).status,
    ).not.toBe(0);
  });

  it('pre-receive in the hub refuses the same push with --no-verify, and logs it in the hub', () => {
    const before = hubRef('pw/demo/api');
    const result = repo.gitResult(['push', '-q', '--no-verify', 'hub', 'HEAD:pw/demo/api'], {
      cwd: api,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('remote: pw (hub): push refused');
    expect(result.stderr).toContain('src/web/app.ts  owned by web');
    expect(hubRef('pw/demo/api')).toBe(before);
    expect(hubEvents().at(-1)).toMatchObject({
      type: 'hook-rejected',
      hook: 'pre-receive',
      worker: 'api',
    });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
  });

  it('pre-push refuses a protocol break that commit --no-verify let through', () => {
    repo.git(['commit', '-q', '--allow-empty', '--no-verify', '-m', 'no prefix at all'], {
      cwd: api,
    });
    const result = repo.gitResult(['push', '-q', 'hub', 'HEAD:pw/demo/api'], { cwd: api });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('"no prefix at all": the first line does not start with');
    expect(repo.refusals().at(-1)).toMatchObject({ hook: 'pre-push', kind: 'protocol' });
    repo.git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: api });
  });

  it('a plain clone without pw hooks: the hub refuses out-of-scope work and takes good work', () => {
    const clone = join(repo.root, 'clone');
    repo.git(['clone', '-q', hub, clone]);
    repo.git(['switch', '-q', 'pw/demo/web'], { cwd: clone });
    repo.write('src/api/server.ts', 'export const api = "from web";\n', clone);
    repo.git(['commit', '-q', '-am', '[CHECKPOINT] web edits api'], { cwd: clone });
    const before = hubRef('pw/demo/web');
    const bad = repo.gitResult(['push', '-q', 'origin', 'pw/demo/web'], { cwd: clone });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('src/api/server.ts  owned by api');
    expect(hubRef('pw/demo/web')).toBe(before);

    repo.git(['reset', '-q', '--hard', 'HEAD~1'], { cwd: clone });
    repo.write('src/web/app.ts', 'export const app = "good";\n', clone);
    repo.git(['commit', '-q', '-am', '[CHECKPOINT] web work'], { cwd: clone });
    const log = join(repo.root, 'hub-hook.log');
    const before2 = readFileSync(log, 'utf8');
    const good = repo.gitResult(['push', '-q', 'origin', 'pw/demo/web'], { cwd: clone });
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(hubRef('pw/demo/web')).toBe(repo.git(['rev-parse', 'HEAD'], { cwd: clone }));
    // The hub's own pre-receive ran after pw's, with the same stdin.
    const added = readFileSync(log, 'utf8').slice(before2.length);
    expect(added).toBe(`${before} ${hubRef('pw/demo/web')} refs/heads/pw/demo/web\n`);
    // Branches that are not worker branches are not judged.
    repo.git(['switch', '-q', '-c', 'feature'], { cwd: clone });
    repo.write('anything.txt', 'x\n', clone);
    repo.git(['add', '-A'], { cwd: clone });
    repo.git(['commit', '-q', '-m', 'no protocol here'], { cwd: clone });
    expect(repo.gitResult(['push', '-q', 'origin', 'feature'], { cwd: clone }).status).toBe(0);
  });

  it("a push may neither delete a worker's branch on the hub nor rewind it (its commits would be lost there)", () => {
    const clone = join(repo.root, 'clone-rewind');
    repo.git(['clone', '-q', hub, clone]);
    const before = hubRef('pw/demo/web');
    const deleted = repo.gitResult(['push', '-q', 'origin', ':pw/demo/web'], { cwd: clone });
    expect(deleted.status).not.toBe(0);
    expect(deleted.stderr).toContain('pw/demo/web is the branch of worker demo/web');
    const rewound = repo.gitResult(['push', '-q', '-f', 'origin', 'main:pw/demo/web'], {
      cwd: clone,
    });
    expect(rewound.status).not.toBe(0);
    expect(rewound.stderr).toContain('has commits the push would drop');
    expect(hubRef('pw/demo/web')).toBe(before);
    // Other branches stay the hub owner's business.
    repo.git(['push', '-q', 'origin', 'main:refs/heads/scratch'], { cwd: clone });
    expect(repo.gitResult(['push', '-q', 'origin', ':scratch'], { cwd: clone }).status).toBe(0);
  });

  it('pw hooks uninstall --hub puts the hub back as it was', () => {
    const result = repo.pw(['hooks', 'uninstall', '--hub', hub]);
    expect(result.status, result.stderr).toBe(0);
    expect(repo.gitResult(['config', '--get', 'core.hooksPath'], { cwd: hub }).status).toBe(1);
    expect(repo.gitResult(['cat-file', '-e', 'HEAD'], { cwd: hub }).status).toBe(0);
    expect(readFileSync(join(hub, 'pw', 'demo', 'events.ndjson'), 'utf8')).toContain('pre-receive');
  });
});
