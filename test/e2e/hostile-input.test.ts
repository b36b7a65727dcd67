import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAgentScript, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// Every string a plan carries into a file or a script, at its most hostile.
const HOSTILE_TASK = [
  `It's "quoted" and 'single' $(touch PWNED_SUBST) \`touch PWNED_TICK\``,
  '--help -rf ; touch PWNED_SEMI && echo $HOME {{task}} {{worker}}',
  'unicode: 日本語 é 🚀',
  'line\nbreaks\r\nand\ttabs',
].join('\n');

describe('hostile input', () => {
  let repo: TempRepo;
  beforeEach(() => {
    repo = createTempRepo({
      files: { 'src/a b/é.ts': 'x\n', "src/it's/x.ts": 'y\n', 'README.md': '# r\n' },
    });
  });
  afterEach(() => repo.cleanup());

  it('writes tasks verbatim, runs nothing, and hands the brief to the agent unchanged', () => {
    // A fake agent that records the arguments it was given.
    const agent = writeAgentScript(
      repo,
      'fake agent.sh',
      'printf "%s" "$@" > "$PW_WORKTREE/../agent-args-$PW_WORKER"\n',
    );
    const root = join(repo.root, `wt $(touch PWNED_ROOT) 'q' "d" 日本`);
    const plan = writePlan(
      repo,
      'plan.yaml',
      [
        'name: feat',
        `worktreeRoot: ${JSON.stringify(root)}`,
        `agent: ${JSON.stringify(`'${agent}'`)}`,
        'workers:',
        '  - id: api',
        '    owns: ["/src/a b/", "/src/it\'s/"]',
        `    task: ${JSON.stringify(HOSTILE_TASK)}`,
        '',
      ].join('\n'),
    );
    const result = repo.pw(['setup', plan, '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      workers: { worktree: string; brief: string; launch: string }[];
    };
    const worker = report.workers[0]!;
    expect(worker.worktree).toBe(join(root, 'feat', 'api'));
    const brief = readFileSync(worker.brief, 'utf8');
    expect(brief).toContain(HOSTILE_TASK.trim());

    const launched = spawnSync('sh', [worker.launch], { env: repo.env, encoding: 'utf8' });
    expect(launched.stderr).toBe('');
    expect(launched.status).toBe(0);
    // Command substitution drops the final newlines; every other byte arrives as written.
    expect(readFileSync(join(root, 'feat', 'agent-args-api'), 'utf8')).toBe(
      brief.replace(/\n+$/, ''),
    );

    for (const dir of [repo.root, repo.dir, root, worker.worktree]) {
      expect(readdirSync(dir).filter((name) => name.startsWith('PWNED'))).toEqual([]);
    }
  });

  it("fills a launch script's {worktree} and {brief} where the agent command puts them, running no shell", () => {
    // A fake agent that records each argument on a line of its own.
    const agent = writeAgentScript(
      repo,
      'fake agent.sh',
      'printf "%s\\n" "$@" > "$PW_WORKTREE/../agent-args-$PW_WORKER"\n',
    );
    const root = join(repo.root, `wt $(touch PWNED_ROOT) 'q' "d"`);
    const command = `'${agent}' --dir={worktree} 'it''s; $(touch PWNED_ARG)' {brief} {session}`;
    const plan = writePlan(
      repo,
      'plan.yaml',
      [
        'name: feat',
        `worktreeRoot: ${JSON.stringify(root)}`,
        `agent: ${JSON.stringify(command)}`,
        'workers:',
        '  - id: api',
        '    owns: ["/src/a b/"]',
        '    task: "A task; $(touch PWNED_TASK)"',
        '',
      ].join('\n'),
    );
    const result = repo.pw(['setup', plan, '--json']);
    expect(result.status).toBe(0);
    const worker = (
      JSON.parse(result.stdout) as {
        workers: { worktree: string; brief: string; launch: string }[];
      }
    ).workers[0]!;
    const launched = spawnSync('sh', [worker.launch], { env: repo.env, encoding: 'utf8' });
    expect(launched.stderr).toBe('');
    expect(launched.status).toBe(0);
    const brief = readFileSync(worker.brief, 'utf8').replace(/\n+$/, '');
    // As pw run splits the command: one argument per word, the brief where {brief} is, and
    // {session} empty (a terminal starts a session of its own).
    expect(readFileSync(join(root, 'feat', 'agent-args-api'), 'utf8')).toBe(
      [`--dir=${worker.worktree}`, 'its; $(touch PWNED_ARG)', brief, ''].join('\n') + '\n',
    );
    for (const dir of [repo.root, repo.dir, root, worker.worktree]) {
      expect(readdirSync(dir).filter((name) => name.startsWith('PWNED'))).toEqual([]);
    }
  });

  it('refuses ids and patterns that would leave their place, writing nothing', () => {
    const plan = writePlan(
      repo,
      'plan.yaml',
      [
        'name: "../../x"',
        'workers:',
        '  - id: "../../../etc"',
        '    owns: ["../outside", "/src/../../x"]',
        '    task: t',
        '  - id: "-rf"',
        '    owns: ["/ok/"]',
        '    task: t',
        '  - id: "a\\nb"',
        '    owns: [".git/hooks"]',
        '    task: t',
        '',
      ].join('\n'),
    );
    const result = repo.pw(['setup', plan]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('name: "../../x" is not a valid plan name');
    expect(result.stderr).toContain('workers[0].id: "../../../etc" is not a valid worker id');
    expect(result.stderr).toContain('workers[0].owns[0]');
    expect(result.stderr).toContain('workers[0].owns[1]');
    expect(result.stderr).toContain('workers[1].id: "-rf" is not a valid worker id');
    expect(result.stderr).toContain('workers[2].id: "a\\x0ab" is not a valid worker id');
    expect(result.stderr).toContain('workers[2].owns[0]');
    expect(existsSync(join(repo.dir, '.git', 'pw'))).toBe(false);
    expect(readdirSync(repo.root).sort()).toEqual(['home', 'plan.yaml', 'repo']);
  });

  it('owner answers for paths with spaces, quotes, unicode and leading dashes, and refuses ..', () => {
    const plan = writePlan(
      repo,
      'plan.yaml',
      'name: feat\nworkers:\n  - id: api\n    owns: ["/src/a b/", "-odd*"]\n    task: t\n',
    );
    const result = repo.pw([
      'owner',
      '--plan',
      plan,
      '--json',
      '--',
      'src/a b/é.ts',
      '-odd-name',
      "src/it's/x.ts",
      '../../etc/passwd',
    ]);
    expect(result.status).toBe(2);
    const answer = JSON.parse(result.stdout) as {
      paths: { input: string; path: string | null; owner: string | null }[];
    };
    expect(answer.paths.map((p) => [p.path, p.owner])).toEqual([
      ['src/a b/é.ts', 'api'],
      ['-odd-name', 'api'],
      ["src/it's/x.ts", null],
      [null, null],
    ]);
    expect(result.stderr).toContain('outside the repository');
  });
});
