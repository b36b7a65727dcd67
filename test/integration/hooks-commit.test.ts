import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPlanRepo, type PlanRepo } from '../helpers/plan-repo.js';

// What a commit stages (judged by reference-transaction: a worker has no
// pre-commit hook) and commit-msg in a worker worktree, with real `git commit`.

let repo: PlanRepo;
let api: string;

beforeAll(() => {
  repo = createPlanRepo();
  api = repo.wt('api');
});
afterAll(() => repo.cleanup());
afterEach(() => {
  // Back to the branch tip, with nothing staged and nothing new.
  repo.git(['reset', '-q', '--hard'], { cwd: api });
  repo.git(['clean', '-fdq'], { cwd: api });
});

const head = (cwd: string): string => repo.git(['rev-parse', 'HEAD'], { cwd });

interface TraceEvent {
  event: string;
  sid: string;
  label?: string;
  msg?: string;
  child_class?: string;
  hook_name?: string;
}

/** Commits a change of api's file with git's event trace on (GIT_TRACE2_EVENT): its events. */
function tracedCommit(name: string): TraceEvent[] {
  const trace = join(repo.root, `trace-${name}.json`);
  repo.write('src/api/server.ts', `export const api = "${name}";\n`, api);
  const result = repo.commit(api, `[CHECKPOINT] ${name}`, { env: { GIT_TRACE2_EVENT: trace } });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TraceEvent);
}

describe('pre-commit', () => {
  it('lets a commit inside the scope through', () => {
    const before = head(api);
    repo.write('src/api/server.ts', 'export const api = 2;\n', api);
    const result = repo.commit(api, '[CHECKPOINT] api v2');
    expect(result.status).toBe(0);
    expect(head(api)).not.toBe(before);
  });

  it('refuses staged paths outside the scope, naming each path with its owner, the scope and what to do', () => {
    const before = head(api);
    const refusalsBefore = repo.refusals().length;
    repo.write('src/api/server.ts', 'export const api = 3;\n', api);
    repo.write('src/web/app.ts', 'export const app = 2;\n', api);
    repo.write('README.md', '# changed\n', api);
    const result = repo.commit(api, '[CHECKPOINT] too much');
    expect(result.status).not.toBe(0);
    expect(head(api)).toBe(before);
    expect(result.stderr).toContain(
      'commit refused: 2 staged paths are outside the files of worker api (plan demo)',
    );
    expect(result.stderr).toMatch(/src\/web\/app\.ts\s+owned by web/);
    expect(result.stderr).toMatch(/README\.md\s+owned by nobody/);
    expect(result.stderr).toContain('Worker api owns: /src/api/, /docs/api.md');
    expect(result.stderr).toContain('git restore --staged -- README.md src/web/app.ts');
    expect(result.stderr).toContain('[NEEDS:web/<item>]');
    expect(result.stderr).not.toMatch(/server\.ts/);
    const refusals = repo.refusals();
    expect(refusals).toHaveLength(refusalsBefore + 1);
    expect(refusals.at(-1)).toMatchObject({
      type: 'hook-rejected',
      hook: 'reference-transaction',
      plan: 'demo',
      worker: 'api',
      kind: 'scope',
      paths: [
        { path: 'README.md', owner: null },
        { path: 'src/web/app.ts', owner: 'web' },
      ],
    });
    expect(typeof refusals.at(-1)!.time).toBe('string');
  });

  it('costs what the commit changes: no pw hook reads the index, and git reads it only once', () => {
    // A pre-commit hook, even an empty one, makes git read the whole index a
    // second time, and git diff-index / diff-tree read it too: each is work
    // that grows with the repository. git's trace names every index read of
    // the commit and of each process its hooks start (sid "parent/child").
    const reads = tracedCommit('traced')
      // An index file that does not exist is no read (the hooks name one for git diff-tree).
      .filter((e) => e.event === 'region_enter' && e.label?.startsWith('do_read_index'))
      .filter((e) => e.msg === undefined || existsSync(e.msg));
    const top = reads.filter((e) => !e.sid.includes('/'));
    expect(reads.filter((e) => e.sid.includes('/'))).toEqual([]);
    expect(top).toHaveLength(1);
  });

  it('starts no hook that has nothing to do: a worker that pushes to no hub has no post-commit', () => {
    // Every hook git starts is a process forked from one that holds the index.
    const hooks = tracedCommit('hooks')
      .filter((e) => e.event === 'child_start' && e.child_class === 'hook')
      .map((e) => e.hook_name);
    expect(hooks).toEqual(['commit-msg', 'reference-transaction', 'reference-transaction']);
  });

  it('counts a rename as both paths: into the scope and out of it', () => {
    repo.git(['mv', 'src/web/app.ts', 'src/api/app.ts'], { cwd: api });
    let result = repo.commit(api, '[CHECKPOINT] take the app');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/src\/web\/app\.ts\s+owned by web/);
    expect(result.stderr).not.toMatch(/src\/api\/app\.ts\s+owned/);
    repo.git(['reset', '-q', '--hard'], { cwd: api });
    repo.git(['mv', 'src/api/routes.ts', 'src/db/routes.ts'], { cwd: api });
    result = repo.commit(api, '[CHECKPOINT] give routes away');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/src\/db\/routes\.ts\s+owned by db/);
    expect(repo.refusals().at(-1)!.paths).toEqual([{ path: 'src/db/routes.ts', owner: 'db' }]);
  });

  it('counts deletions and mode changes', () => {
    repo.git(['rm', '-q', 'src/db/schema.ts'], { cwd: api });
    let result = repo.commit(api, '[CHECKPOINT] delete');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/src\/db\/schema\.ts\s+owned by db/);
    repo.git(['reset', '-q', '--hard'], { cwd: api });
    chmodSync(join(api, 'package.json'), 0o755);
    result = repo.commit(api, '[CHECKPOINT] chmod');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/package\.json\s+owned by nobody/);
  });

  it('handles paths with spaces, unicode, leading dashes and quotes', () => {
    const tricky = [
      'src/web/with space.ts',
      'src/web/ünïcödé.ts',
      'src/web/-dash.ts',
      'src/web/q"uo\'te.ts',
    ];
    for (const path of tricky) repo.write(path, 'changed\n', api);
    repo.write('src/api/new file ü.ts', 'mine\n', api);
    const result = repo.commit(api, '[CHECKPOINT] tricky names');
    expect(result.status).not.toBe(0);
    const paths = (repo.refusals().at(-1)!.paths as { path: string }[]).map((p) => p.path);
    expect(paths.sort()).toEqual([...tricky].sort());
    expect(result.stderr).toContain(`'src/web/q"uo'\\''te.ts'`);
    expect(result.stderr).toContain(' src/web/-dash.ts '); // after "--", no quotes needed
    // The suggested command works as printed (a git alias with "!" runs it through sh).
    const restore = /git restore --staged -- (.*)\n/.exec(result.stderr)![1]!;
    const shell = repo.gitResult(['-c', `alias.r=!git restore --staged -- ${restore}`, 'r'], {
      cwd: api,
    });
    expect(shell.status).toBe(0);
    expect(
      repo.git(['-c', 'core.quotePath=false', 'diff', '--cached', '--name-only'], { cwd: api }),
    ).toBe('src/api/new file ü.ts');
    const mine = repo.gitResult(['commit', '-q', '-m', '[CHECKPOINT] only mine'], { cwd: api });
    expect(mine.status).toBe(0);
  });

  it('works from a subdirectory, with commit -a and with HUSKY=0 or GIT_LITERAL_PATHSPECS=1 in the environment', () => {
    mkdirSync(join(api, 'src', 'api', 'deep'), { recursive: true });
    const deep = join(api, 'src', 'api', 'deep');
    repo.write('src/web/app.ts', 'export const app = 9;\n', api);
    expect(repo.commit(deep, '[CHECKPOINT] from deep', { all: true }).status).not.toBe(0);
    repo.git(['add', '-A'], { cwd: api });
    expect(repo.commit(deep, '[CHECKPOINT] from deep').status).not.toBe(0);
    for (const env of [
      { HUSKY: '0' } as Record<string, string>,
      { GIT_LITERAL_PATHSPECS: '1' },
      { GIT_ICASE_PATHSPECS: '1' },
    ]) {
      const result = repo.commit(api, '[CHECKPOINT] env', { env });
      expect(result.status, JSON.stringify(env)).not.toBe(0);
      expect(result.stderr).toMatch(/src\/web\/app\.ts\s+owned by web/);
    }
  });

  it('accepts concluding a merge of the base with a resolved conflict, and refuses an evil merge', () => {
    // The base moves on (a file nobody owns and one of api's), api edits the same line.
    repo.write('README.md', '# demo from main\n');
    repo.write('src/api/server.ts', 'export const api = "main";\n');
    repo.commitAll('main moves on');
    repo.write('src/api/server.ts', 'export const api = "api";\n', api);
    expect(repo.commit(api, '[CHECKPOINT] api edit').status).toBe(0);
    const merge = repo.gitResult(['merge', '-q', 'main'], { cwd: api });
    expect(merge.status).not.toBe(0); // conflict in src/api/server.ts
    repo.write('src/api/server.ts', 'export const api = "both";\n', api);
    repo.git(['add', 'src/api/server.ts'], { cwd: api });
    const result = repo.gitResult(['commit', '-q', '--no-edit'], { cwd: api });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(repo.git(['log', '-1', '--format=%P'], { cwd: api }).split(' ')).toHaveLength(2);

    // An evil merge: the resolution also changes web's file.
    repo.write('src/api/server.ts', 'export const api = "main2";\n');
    repo.commitAll('main moves on again');
    repo.write('src/api/server.ts', 'export const api = "api2";\n', api);
    expect(repo.commit(api, '[CHECKPOINT] api edit 2').status).toBe(0);
    expect(repo.gitResult(['merge', '-q', 'main'], { cwd: api }).status).not.toBe(0);
    repo.write('src/api/server.ts', 'export const api = "both2";\n', api);
    repo.write('src/web/app.ts', 'export const app = "evil";\n', api);
    repo.git(['add', '-A'], { cwd: api });
    const evil = repo.gitResult(['commit', '-q', '--no-edit'], { cwd: api });
    expect(evil.status).not.toBe(0);
    expect(evil.stderr).toMatch(/src\/web\/app\.ts\s+owned by web/);
    expect(evil.stderr).not.toMatch(/README/);
    repo.git(['merge', '--abort'], { cwd: api });
    // Taking api's side of the conflict is a merge like any other.
    const ours = repo.gitResult(['merge', '-q', '--no-edit', '-X', 'ours', 'main'], { cwd: api });
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(0);
  });

  it('lets git merge the base and a provider branch, and refuses merging a stray branch', () => {
    repo.write('src/db/schema.ts', 'export const schema = "main";\n');
    repo.commitAll('main changes db');
    const web = repo.wt('web');
    repo.write('src/web/app.ts', 'export const app = "web";\n', web);
    expect(repo.commit(web, '[CHECKPOINT] web work\n\nProvides: app').status).toBe(0);
    repo.write('src/api/routes.ts', 'export const routes = ["x"];\n', api);
    expect(repo.commit(api, '[CHECKPOINT] routes').status).toBe(0);
    for (const branch of ['main', 'pw/demo/web']) {
      const result = repo.gitResult(['merge', '-q', '--no-ff', '--no-edit', branch], { cwd: api });
      expect(result.stderr, branch).toBe('');
      expect(result.status, `${branch}: ${result.stdout}`).toBe(0);
    }
    // A branch that is neither the base nor a worker: its changes would be api's own.
    repo.git(['switch', '-q', '-c', 'stray', 'main']);
    repo.write('src/db/schema.ts', 'export const schema = "stray";\n');
    repo.commitAll('stray change');
    repo.git(['switch', '-q', 'main']);
    const stray = repo.gitResult(['merge', '-q', '--no-ff', '--no-edit', 'stray'], { cwd: api });
    expect(stray.status).not.toBe(0);
    expect(stray.stderr).toMatch(/src\/db\/schema\.ts\s+owned by db/);
    expect(repo.refusals().at(-1)).toMatchObject({ hook: 'reference-transaction', worker: 'api' });
    repo.gitResult(['merge', '--abort'], { cwd: api });
  });
});

describe('commit-msg', () => {
  const refused: [string, RegExp, string][] = [
    ['wip: stuff', /does not start with/, '[CHECKPOINT] wip: stuff'],
    ['[checkpoint] lower case', /upper case/, '[CHECKPOINT] lower case'],
    ['[BLOCKED:] no reason', /needs a reason/, '[BLOCKED:what is in the way] no reason'],
    [
      '[BLOCKED:tests] ',
      /subject after the bracket is empty/,
      '[BLOCKED:tests] describe the change',
    ],
    [
      '[NEEDS:nobody/token] need it',
      /"nobody" is not a worker of this plan \(workers: [^)]*\bweb\b/,
      '[NEEDS:<worker>/token] need it',
    ],
    [
      '[NEEDS:api/token] from myself',
      /cannot need something from itself \(other workers: [^)]*\bweb\b/,
      '[NEEDS:<worker>/token] from myself',
    ],
    ['[NEEDS:web] no item', /needs a worker id and an item/, '[NEEDS:web/item] no item'],
    ['[COMPLETE:x] done', /takes no ":" argument/, '[COMPLETE] done'],
  ];
  it.each(refused)(
    'refuses %j with the grammar and a corrected example',
    (message, problem, example) => {
      const before = head(api);
      const count = repo.refusals().length;
      const result = repo.gitResult(['commit', '-q', '--allow-empty', '-m', message], { cwd: api });
      expect(result.status).not.toBe(0);
      expect(head(api)).toBe(before);
      expect(result.stderr).toContain(
        'the message breaks the commit protocol of plan demo (worker api)',
      );
      expect(result.stderr).toMatch(problem);
      expect(result.stderr).toContain(
        '[NEEDS:<worker>/<item>] <subject> needs <item> from <worker>',
      );
      expect(result.stderr).toContain(`  ${example}\n`);
      // A placeholder is never left to guess: the writer is told to choose among the workers named.
      if (example.includes('<worker>'))
        expect(result.stderr).toContain('<worker> replaced by the worker you need it from');
      expect(repo.refusals()).toHaveLength(count + 1);
      expect(repo.refusals().at(-1)).toMatchObject({
        hook: 'commit-msg',
        kind: 'protocol',
        header: message.trim(),
      });
    },
  );

  it.each([
    '[CHECKPOINT] plain',
    '[COMPLETE] done',
    '[BLOCKED:waiting for db] paused',
    '[NEEDS:web/login-form] need the form',
    '  [CHECKPOINT]   loose spacing is fine  ',
    'fixup! [CHECKPOINT] plain',
    'squash! [CHECKPOINT] plain',
    'Revert "[CHECKPOINT] plain"',
  ])('accepts %j', (message) => {
    const result = repo.gitResult(['commit', '-q', '--allow-empty', '-m', message], { cwd: api });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts the messages git writes for merges and reverts', () => {
    repo.write('src/api/routes.ts', 'export const routes = ["r"];\n', api);
    expect(repo.commit(api, '[CHECKPOINT] to revert').status).toBe(0);
    const revert = repo.gitResult(['revert', '--no-edit', 'HEAD'], { cwd: api });
    expect(revert.status).toBe(0);
    expect(repo.git(['log', '-1', '--format=%s'], { cwd: api })).toMatch(/^Revert "/);
    repo.write('docs/readme-main.md', 'x\n');
    repo.commitAll('main again');
    const merge = repo.gitResult(['merge', '--no-ff', '--no-edit', 'main'], { cwd: api });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    expect(repo.git(['log', '-1', '--format=%s'], { cwd: api })).toBe(
      "Merge branch 'main' into pw/demo/api",
    );
  });

  it('honours core.commentChar and the scissors line when git opens an editor', () => {
    const editor = join(repo.root, 'editor.sh');
    const text = join(repo.root, 'message.txt');
    writeFileSync(editor, `#!/bin/sh\ncat ${JSON.stringify(text)} > "$1"\n`);
    chmodSync(editor, 0o755);
    const edit = (message: string, args: string[] = []) => {
      writeFileSync(text, message);
      return repo.gitResult([...args, 'commit', '-q', '--allow-empty'], {
        cwd: api,
        env: { GIT_EDITOR: editor },
      });
    };
    // ";" lines are comments, so the header is the line after them.
    expect(
      edit('; a comment\n[CHECKPOINT] real header\n', ['-c', 'core.commentChar=;']).status,
    ).toBe(0);
    expect(repo.git(['log', '-1', '--format=%s'], { cwd: api })).toBe('[CHECKPOINT] real header');
    // With ";" as comment character, a "#" line is the header.
    const hash = edit('# not a comment here\n[CHECKPOINT] second\n', ['-c', 'core.commentChar=;']);
    expect(hash.status).not.toBe(0);
    expect(hash.stderr).toContain('first line: # not a comment here');
    // Everything below the scissors line is dropped (git commit -v).
    const scissors = '# ------------------------ >8 ------------------------\n';
    expect(edit(`[CHECKPOINT] above the cut\n${scissors}wip below\n`, []).status).toBe(0);
    const cut = edit(`\n# comment\n${scissors}[CHECKPOINT] below the cut\n`, [
      '-c',
      'commit.cleanup=scissors',
    ]);
    expect(cut.status).not.toBe(0);
    expect(cut.stderr).toContain('first line: (empty)');
    // Without an editor git keeps "#" lines (cleanup "whitespace"), so one is the header.
    const kept = repo.gitResult(
      ['commit', '-q', '--allow-empty', '-m', '# looks like a comment\n\n[CHECKPOINT] x'],
      {
        cwd: api,
      },
    );
    expect(kept.status).not.toBe(0);
  });
});

describe('hook plumbing', () => {
  it('judges a commit on an unborn branch against nothing', () => {
    repo.git(['switch', '-q', '--orphan', 'scratch'], { cwd: api });
    repo.write('src/web/app.ts', 'export const app = "orphan";\n', api);
    repo.git(['add', 'src/web/app.ts'], { cwd: api });
    const result = repo.gitResult(['commit', '-q', '-m', '[CHECKPOINT] orphan'], { cwd: api });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/src\/web\/app\.ts\s+owned by web/);
    repo.git(['rm', '-q', '--cached', '-r', '.'], { cwd: api });
    repo.git(['clean', '-fdq'], { cwd: api });
    repo.git(['switch', '-q', '-f', 'pw/demo/api'], { cwd: api });
  });

  it('refuses, and says what to do, when pw cannot be started to explain', () => {
    // A copy of api's hooks whose pw bin is gone.
    const hooks = join(repo.commonDir, 'pw', 'demo', 'hooks', 'api');
    const copy = join(repo.root, 'hooks-without-pw');
    mkdirSync(copy);
    for (const name of ['commit-msg', 'reference-transaction']) {
      const text = readFileSync(join(hooks, name), 'utf8').replace(
        /^PW_BIN=.*$/m,
        `PW_BIN='${join(repo.root, 'gone', 'bin.js')}'`,
      );
      writeFileSync(join(copy, name), text, { mode: 0o755 });
    }
    repo.write('src/web/app.ts', 'export const app = 7;\n', api);
    repo.git(['add', '-A'], { cwd: api });
    const result = repo.gitResult(
      ['-c', `core.hooksPath=${copy}`, 'commit', '-q', '-m', '[CHECKPOINT] x'],
      {
        cwd: api,
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('must check this change but cannot start pw');
    expect(result.stderr).toContain('pw hooks install');
    // The good path needs no pw at all.
    repo.git(['reset', '-q', '--hard'], { cwd: api });
    repo.write('src/api/server.ts', 'export const api = 8;\n', api);
    repo.git(['add', '-A'], { cwd: api });
    const good = repo.gitResult(
      ['-c', `core.hooksPath=${copy}`, 'commit', '-q', '-m', '[CHECKPOINT] y'],
      {
        cwd: api,
      },
    );
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
  });
});
