import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// Control and bidi characters a terminal acts on: ESC, BEL, C1, RLO and friends.
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE_BLOCKED = '[BLOCKED:db is \x1b]0;owned\x07down\u202e] stuck \x1b[2J here';
const HOSTILE_CHECKPOINT = '[CHECKPOINT] fine \x1b[31mred\x9b2J \u2066isolated\u2069';
const HOSTILE_FILE = 'src/api/ev\x1b[2Jil\u202e.ts';
const NEWLINE_FILE = 'src/api/new\nline.ts';

const PLAN = `name: tty
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
`;

describe('terminal injection through commit messages and file names', () => {
  let repo: PlanRepo;
  // Bypasses every hook, the way a worker with hooks turned off would.
  const noHooks = ['-c', 'core.hooksPath=/dev/null'];

  beforeAll(() => {
    repo = createPlanRepo({
      plan: PLAN,
      files: { 'src/api/a.ts': 'a\n', 'src/web/b.ts': 'b\n', 'README.md': '# r\n' },
    });
    const api = repo.wt('api');
    repo.git(['commit', '-q', '--allow-empty', '--no-verify', '-m', HOSTILE_BLOCKED], {
      cwd: api,
    });
    const web = repo.wt('web');
    writeFileSync(join(web, HOSTILE_FILE), 'x\n');
    writeFileSync(join(web, NEWLINE_FILE), 'y\n');
    repo.git(['add', '-A'], { cwd: web });
    repo.git([...noHooks, 'commit', '-q', '--no-verify', '-m', HOSTILE_CHECKPOINT], { cwd: web });
  });
  afterAll(() => repo.cleanup());

  it('commit-msg refuses control and bidi characters, suggesting the header without them', () => {
    const result = repo.commit(repo.wt('api'), '[CHECKPOINT] nice \x1b[8mhidden\x07 text', {
      args: ['--allow-empty'],
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('control or bidi character (\\x1b)');
    expect(result.stderr).toContain('[CHECKPOINT] nice [8mhidden text');
    expect(result.stderr).toContain("git commit -m '[CHECKPOINT] nice [8mhidden text'");
    expect(result.stderr).not.toMatch(RAW_CONTROL);

    const bidi = repo.commit(repo.wt('api'), '[COMPLETE] done \u202egnp.exe', {
      args: ['--allow-empty'],
    });
    expect(bidi.status).not.toBe(0);
    expect(bidi.stderr).toContain('(\\u202e)');
    expect(bidi.stderr).toContain("git commit -m '[COMPLETE] done gnp.exe'");
    expect(bidi.stderr).not.toMatch(RAW_CONTROL);
  });

  it('pw status, wait and retro show them escaped', () => {
    const status = repo.pw(['status']);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('\\x1b');
    expect(status.stdout).toContain('ev\\x1b[2Jil\\u202e.ts');
    const wait = repo.pw(['wait', '--timeout', '0']);
    expect(wait.status).toBe(1);
    expect(wait.stdout).toContain('\\x1b');
    const retro = repo.pw(['retro']);
    expect(retro.status).toBe(0);
    expect(retro.stdout).toContain('src/api/ev\\x1b[2Jil\\u202e.ts');
    expect(retro.stdout).toContain('\\x9b2J \\u2066isolated\\u2069');
    for (const out of [status, wait, retro]) {
      expect(out.stdout).not.toMatch(RAW_CONTROL);
      expect(out.stderr).not.toMatch(RAW_CONTROL);
    }
    // One line per worker: a newline in a file name does not break the table.
    const rows = status.stdout.split('\n').filter((line) => /^ {2}(api|web) /.test(line));
    expect(rows).toHaveLength(2);
    expect(wait.stdout + retro.stdout).toContain('new\\x0aline.ts');
  });

  it("pw integrate's refusal quotes them escaped", () => {
    const integrate = repo.pw(['integrate', '--allow-incomplete']);
    expect(integrate.status).toBe(1);
    expect(integrate.stderr).toContain('ev\\x1b[2Jil\\u202e.ts');
    expect(integrate.stderr).not.toMatch(RAW_CONTROL);
  });

  it('retro HTML and SVG escape them too', () => {
    const out = repo.pw(['retro', '--html', join(repo.root, 'r.html'), '--svg', 'r.svg']);
    expect(out.status).toBe(0);
    for (const file of [join(repo.root, 'r.html'), join(repo.dir, 'r.svg')]) {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).toContain('\\u202e');
    }
  });

  it('--json keeps the exact text', () => {
    const status = repo.pw(['status', '--json']);
    expect(status.stdout).toContain(JSON.stringify(HOSTILE_BLOCKED).slice(1, -1));
    expect(status.stdout).toContain(JSON.stringify(HOSTILE_FILE).slice(1, -1));
    const retro = repo.pw(['retro', '--json']);
    expect(retro.stdout).toContain(JSON.stringify(HOSTILE_CHECKPOINT).slice(1, -1));
  });
});
