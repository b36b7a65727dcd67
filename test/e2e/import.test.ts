import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// A plan report as parallel-orchestra reads it: the manifest as front matter,
// prose below.
const MANIFEST = `---
po_plan_version: "0.1"
name: "Auth in parallel"
cwd: "../.."
tasks:
  - id: login
    agent: tdd-develop
    read_only: false
    prompt: |
      Implement login with tests.
    writes:
      - src/auth/login.py
      - tests/test_login.py
  - id: review
    agent: code-reviewer
    read_only: true
    prompt: "Review the auth module."
    depends_on: [login]
    concurrency_group: api
defaults:
  max_retries: 1
concurrency_limits:
  api: 1
on_failure:
  webhook_url: "https://example.com/notify"
---

Both tasks follow the team's auth guidelines.
`;

let repo: TempRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

function manifestRepo(): TempRepo {
  repo = createTempRepo({
    files: { 'src/auth/login.py': 'def login(): pass\n', 'README.md': '# auth\n' },
  });
  repo.write('po-report.md', MANIFEST, repo.root);
  return repo;
}

describe('pw import', () => {
  it('writes a plan pw sets up and runs: writes become owns, a read-only task owns nothing', () => {
    const r = manifestRepo();
    const plan = join(r.root, 'plan.md');
    const imported = r.pw(['import', join(r.root, 'po-report.md'), '-o', plan]);
    expect(imported.stderr).toMatch(/note: cwd: "\.\.\/\.\." is not used/);
    expect(imported.stderr).toMatch(/note: on_failure: webhooks are not sent/);
    expect(imported.status).toBe(0);
    const text = readFileSync(plan, 'utf8');
    expect(text).toMatch(/^---\n# pw plan imported from .*po-report\.md/);
    expect(text).toContain('Both tasks follow the team');

    const setup = r.pw(['setup', plan]);
    expect(setup.stderr).toBe('');
    expect(setup.status).toBe(0);
    const review = join(r.root, 'repo.pw', 'auth-in-parallel', 'review');
    expect(readFileSync(join(review, 'WORKER.md'), 'utf8')).toContain('Review the auth module.');

    // pw run starts each task's Claude Code agent, in dependency order.
    const bin = join(r.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(bin, 'claude'), 0o755);
    const dry = r.pw(['run', '--dry-run'], { env: { PATH: `${bin}:${r.env.PATH ?? ''}` } });
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/stage 1: login\n {2}login: \["claude",.*"--agent","tdd-develop"/);
    expect(dry.stdout).toMatch(/stage 2: review\n {2}review: \[.*"--agent","code-reviewer"/);
    expect(dry.stdout).toMatch(/retries: 1/);

    // The reviewer owns nothing: a file is refused, a status commit goes in.
    r.write('src/auth/login.py', 'def login(): return 1\n', review);
    r.git(['add', 'src/auth/login.py'], { cwd: review });
    const refused = r.gitResult(['commit', '-m', '[CHECKPOINT] fix login'], { cwd: review });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/src\/auth\/login\.py\s+owned by login/);
    expect(refused.stderr).toMatch(/Worker review owns nothing/);
    r.git(['reset', '-q', '--hard'], { cwd: review });
    r.git(['commit', '--allow-empty', '-m', '[COMPLETE] reviewed, two findings'], {
      cwd: review,
    });
    const status = r.pw(['status', '--json']);
    const workers = (JSON.parse(status.stdout) as { workers: { id: string; state: string }[] })
      .workers;
    expect(workers.find((w) => w.id === 'review')?.state).toBe('complete');

    // Once review is COMPLETE, pw run leaves it out.
    const after = r.pw(['run', '--dry-run'], { env: { PATH: `${bin}:${r.env.PATH ?? ''}` } });
    expect(after.status).toBe(0);
    expect(after.stdout).toContain('already COMPLETE, not started: review\nstage 1: login\n');
    expect(after.stdout).not.toContain('stage 2');
  });

  it('prints the plan when no --output is given, and never overwrites a file', () => {
    const r = manifestRepo();
    const printed = r.pw(['import', join(r.root, 'po-report.md')]);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toMatch(/^# pw plan imported from/);
    expect(printed.stdout).toContain('name: auth-in-parallel\n');
    expect(printed.stderr).toMatch(/kept only in a Markdown plan/);

    const plan = join(r.root, 'plan.yaml');
    writeFileSync(plan, 'mine\n');
    const again = r.pw(['import', join(r.root, 'po-report.md'), '-o', plan]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists; pw import does not overwrite it/);
    expect(readFileSync(plan, 'utf8')).toBe('mine\n');
    expect(r.pw(['import', join(r.root, 'po-report.md'), '-o', plan, '--force']).status).toBe(0);
    expect(readFileSync(plan, 'utf8')).toContain('owns: []');
  });

  it('refuses a file that is not a manifest, naming every problem, and writes nothing', () => {
    const r = manifestRepo();
    r.write('plan.yaml', 'name: x\nworkers: []\n', r.root);
    const out = join(r.root, 'out.yaml');
    const result = r.pw(['import', join(r.root, 'plan.yaml'), '-o', out]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/po_plan_version: is missing: this is not a parallel/);
    expect(result.stderr).toMatch(/tasks: must be a list/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 1 and says why when the imported plan would be refused by setup (two tasks write one file)', () => {
    const r = manifestRepo();
    r.write(
      'po.yaml',
      [
        'po_plan_version: "0.1"',
        'name: clash',
        'tasks:',
        '  - {id: a, agent: dev, read_only: false, prompt: one, writes: [src/auth/login.py]}',
        '  - {id: b, agent: dev, read_only: false, prompt: two, writes: [src/auth/login.py]}',
        '',
      ].join('\n'),
      r.root,
    );
    const out = join(r.root, 'clash.yaml');
    const result = r.pw(['import', join(r.root, 'po.yaml'), '-o', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/pw setup will refuse this plan until these are fixed/);
    expect(result.stderr).toMatch(
      /\(a\) and workers\[1\]\.owns\[0\] "\/src\/auth\/login\.py" \(b\) could both own/,
    );
    expect(existsSync(out)).toBe(true);
  });
});
