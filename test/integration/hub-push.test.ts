import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiWebPlan, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// The post-commit push of a worker whose commits go to a hub, and pw push,
// when the hub is out of reach and once it is back. The pushes run before
// the commit returns (PW_PUSH_FOREGROUND=1) and try once (PW_PUSH_TRIES=1),
// so nothing here waits for a background process or a pause.

const PLAN = apiWebPlan();
const NOW = { PW_PUSH_FOREGROUND: '1', PW_PUSH_TRIES: '1' };

let repo: TempRepo;
let hub: string;
let api: string;
let failed: string;

const hubTip = (): string | null => {
  const r = repo.gitResult(['rev-parse', '--verify', '--quiet', 'refs/heads/pw/feat/api'], {
    cwd: hub,
  });
  return r.status === 0 ? r.stdout.trim() : null;
};

beforeAll(() => {
  repo = createTempRepo({ files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' } });
  hub = join(repo.root, 'hub.git');
  repo.git(['init', '-q', '--bare', '-b', 'main', hub]);
  repo.git(['remote', 'add', 'origin', hub]);
  repo.git(['push', '-q', 'origin', 'main']);
  const setup = repo.pw(['setup', writePlan(repo, 'plan.yaml', PLAN), '--hub', 'origin']);
  if (setup.status !== 0) throw new Error(setup.stderr);
  api = join(repo.root, 'repo.pw', 'feat', 'api');
  failed = join(repo.dir, '.git', 'pw', 'feat', 'push', 'api.failed');
});
afterAll(() => repo.cleanup());

describe('pushing worker commits to the hub', () => {
  it('a commit reaches the hub; with the hub away the commit is made and says so', () => {
    repo.git(['commit', '-q', '--allow-empty', '-m', '[CHECKPOINT] one'], { cwd: api, env: NOW });
    expect(hubTip()).toBe(repo.git(['rev-parse', 'HEAD'], { cwd: api }));

    renameSync(hub, `${hub}.away`);
    const offline = repo.gitResult(['commit', '-q', '--allow-empty', '-m', '[CHECKPOINT] two'], {
      cwd: api,
      env: NOW,
    });
    expect(offline.status).toBe(0);
    expect(offline.stderr).toContain('the commit is made, but it could not be pushed to the hub');
    expect(offline.stderr).toContain('run pw push when it is reachable');
    expect(existsSync(failed)).toBe(true);
    expect(readFileSync(join(repo.dir, '.git', 'pw', 'feat', 'push', 'api.log'), 'utf8')).toMatch(
      /hub\.git/,
    );

    const push = repo.pw(['push'], { cwd: api });
    expect(push.status).toBe(3);
    expect(push.stderr).toContain('could not reach the hub origin to push pw/feat/api (offline?)');
    expect(push.stderr).toContain('Nothing is lost');
  });

  it('once the hub is back, the next commit says the last push failed and sends both', () => {
    renameSync(`${hub}.away`, hub);
    const back = repo.gitResult(['commit', '-q', '--allow-empty', '-m', '[CHECKPOINT] three'], {
      cwd: api,
      env: NOW,
    });
    expect(back.status).toBe(0);
    expect(back.stderr).toContain("an earlier push of api's commits to the hub failed");
    expect(hubTip()).toBe(repo.git(['rev-parse', 'HEAD'], { cwd: api }));
    expect(existsSync(failed)).toBe(false);

    const push = repo.pw(['push', '--worker', 'api']);
    expect(push.status, push.stderr).toBe(0);
    expect(push.stdout).toContain('Pushed pw/feat/api');

    // A merge (the base moved on) reaches the hub as a commit does.
    repo.write('README.md', 'moved on\n');
    repo.commitAll('base moves on');
    // The hub judges the merge against its own base branch: the base goes there first.
    repo.git(['push', '-q', 'origin', 'main']);
    repo.git(['merge', '-q', '--no-ff', '-m', "Merge branch 'main'", 'main'], {
      cwd: api,
      env: NOW,
    });
    expect(hubTip()).toBe(repo.git(['rev-parse', 'HEAD'], { cwd: api }));
  });

  it('pw push names what the hub refused, and pw publish is refused on no hub', () => {
    repo.write('src/web/w.ts', 'taken\n', api);
    repo.git(['add', '-A'], { cwd: api });
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', '[CHECKPOINT] web too'], {
      cwd: api,
    });
    const push = repo.pw(['push'], { cwd: api });
    expect(push.status).toBe(1);
    expect(push.stderr).toContain('the hub origin refused pw/feat/api');
    expect(push.stderr).toContain('src/web/w.ts');
    repo.git(['-c', 'core.hooksPath=/dev/null', 'reset', '-q', '--hard', 'HEAD~1'], { cwd: api });

    const publish = repo.pw(['publish', '--hub', '-x']);
    expect(publish.status).toBe(2);
    expect(publish.stderr).toContain('is not a remote, URL or path');
  });

  it('pw publish again moves nothing; the hub refuses any other ref under refs/pw/', () => {
    const planCommit = repo.git(['rev-parse', 'refs/pw/feat/plan'], { cwd: hub });
    const publish = repo.pw(['publish', '--json']);
    expect(publish.status, publish.stderr).toBe(0);
    expect(JSON.parse(publish.stdout)).toMatchObject({
      plan: 'feat',
      hub: 'origin',
      ref: 'refs/pw/feat/plan',
      commit: planCommit,
      pushing: ['api', 'web'],
    });
    for (const ref of [
      'refs/pw/feat/trust/plan',
      'refs/pw/archive/feat/api',
      'refs/pw/other/plan',
    ]) {
      const push = repo.gitResult(['push', 'origin', `${planCommit}:${ref}`]);
      expect(push.status, ref).not.toBe(0);
      expect(push.stderr).toContain(`pw: push refused: ${ref}`);
    }
    expect(repo.git(['for-each-ref', '--format=%(refname)', 'refs/pw/'], { cwd: hub })).toBe(
      'refs/pw/feat/plan',
    );
  });
});
