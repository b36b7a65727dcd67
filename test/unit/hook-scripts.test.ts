import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HOOK_NAMES,
  TEMPLATE_NAMES,
  hooksToInstall,
  ownHooks,
  renderGuardTable,
  renderHookScript,
  templateFor,
  type HookScriptValues,
  type HookTemplates,
} from '../../src/domain/hooks/hook-scripts.js';
import { parseCommitMessage } from '../../src/domain/protocol/protocol.js';
import { projectRoot } from '../helpers/temp-repo.js';

const templates = Object.fromEntries(
  TEMPLATE_NAMES.map((name) => [name, readFileSync(join(projectRoot, 'hooks', name), 'utf8')]),
) as HookTemplates;

const values: HookScriptValues = {
  role: 'worker',
  plan: 'demo',
  worker: 'api',
  root: "/tmp/it's here/.git/pw",
  self: "/tmp/it's here/.git/pw/demo/hooks/api",
  chain: '.husky/_',
  chainMain: "/tmp/it's main/.husky/_",
  node: '/usr/bin/node',
  bin: '/opt/pw $HOME/bin.js',
  excludes: [':(top,glob,exclude)src/api/**', ":(top,glob,exclude)docs/it's.md"],
};

function sh(
  script: string,
  args: string[] = [],
  input = '',
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('sh', ['-c', script, 'test', ...args], { input, encoding: 'utf8' });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

describe('renderHookScript', () => {
  it('bakes every value in, sh-quoted, and every generated script parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-hook-scripts-'));
    try {
      for (const role of ['worker', 'main', 'hub'] as const) {
        for (const hook of HOOK_NAMES) {
          const script = renderHookScript(templates, { ...values, role }, hook);
          expect(script.startsWith('#!/bin/sh\n')).toBe(true);
          expect(script).not.toContain('@EXCLUDES@');
          expect(script).not.toContain('@LINE_SEPARATORS@');
          writeFileSync(join(dir, 'hook'), script);
          const parsed = sh('sh -n "$1"', [join(dir, 'hook')]);
          expect(parsed.status, `${role} ${hook}: ${parsed.stderr}`).toBe(0);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const script = renderHookScript(templates, values, 'reference-transaction');
    const printed = sh(
      `${script.split('\n').slice(0, 13).join('\n')}\nprintf '%s|%s|%s|%s' "$PW_ROOT" "$PW_BIN" "$PW_CHAIN" "$PW_CHAIN_MAIN"`,
    );
    expect(printed.stdout).toBe(`${values.root}|${values.bin}|.husky/_|${values.chainMain}`);
    expect(script).toContain(
      `pw_bake ':(top,glob,exclude)src/api/**' ':(top,glob,exclude)docs/it'\\''s.md'`,
    );
    // One sh per generated script: slow only on a loaded machine.
  }, 30_000);

  it("hands over to the main worktree's copy of a relative chain folder the worktree lacks", () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-hook-chain-'));
    try {
      const main = join(dir, 'main');
      const worktree = join(dir, 'worktree');
      mkdirSync(join(main, '.husky', '_'), { recursive: true });
      mkdirSync(worktree);
      writeFileSync(join(main, '.husky', '_', 'post-commit'), '#!/bin/sh\necho "main $*"\n', {
        mode: 0o755,
      });
      const script = renderHookScript(
        templates,
        { ...values, chainMain: join(main, '.husky', '_') },
        'post-commit',
      );
      const run = (): string =>
        spawnSync('sh', ['-c', script, 'post-commit', 'x'], { cwd: worktree, encoding: 'utf8' })
          .stdout;
      expect(run()).toBe('main x\n');
      // Once the worktree has its own folder (npm install ran there), that one is used alone.
      mkdirSync(join(worktree, '.husky', '_'), { recursive: true });
      expect(run()).toBe('');
      writeFileSync(join(worktree, '.husky', '_', 'post-commit'), '#!/bin/sh\necho "own $*"\n', {
        mode: 0o755,
      });
      expect(run()).toBe('own x\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks in the hooks each role needs and only hands over in the rest', () => {
    // A worker's post-commit and post-merge push to a hub: only a worker that pushes has them.
    expect(ownHooks('worker')).toEqual(['commit-msg', 'pre-push', 'reference-transaction']);
    expect(ownHooks('worker', true)).toEqual([
      'commit-msg',
      'post-commit',
      'post-merge',
      'pre-push',
      'reference-transaction',
    ]);
    expect(hooksToInstall('worker', ['post-merge'])).toEqual([
      'commit-msg',
      'post-merge',
      'pre-push',
      'reference-transaction',
    ]);
    expect(ownHooks('main')).toEqual(['pre-push', 'reference-transaction']);
    expect(ownHooks('hub')).toEqual(['pre-receive']);
    expect(templateFor('worker', 'post-commit')).toBe('post-commit');
    expect(templateFor('main', 'post-commit')).toBe('chain');
    // A worker's pre-commit checks, but only goes before the project's own: none without one.
    expect(templateFor('worker', 'pre-commit')).toBe('pre-commit');
    expect(hooksToInstall('worker', [])).not.toContain('pre-commit');
    expect(hooksToInstall('worker', ['pre-commit'])).toContain('pre-commit');
    expect(hooksToInstall('main', ['post-commit', 'not-a-hook'])).toEqual([
      'post-commit',
      'pre-push',
      'reference-transaction',
    ]);
    expect(hooksToInstall('hub', null)).toEqual(HOOK_NAMES);
  });

  it('renders a guard table that calls pw_hit for worker branches only', () => {
    const table = renderGuardTable({
      name: 'demo',
      base: 'main',
      workers: [{ id: 'api', branch: 'pw/demo/api', excludes: [":(top,glob,exclude)it's/**"] }],
    });
    const run = (ref: string) =>
      sh(`pw_hit() { printf '%s,' "$@"; }\npw_ref=$1\n${table}`, [ref]).stdout;
    expect(run('refs/heads/pw/demo/api')).toBe("demo,api,main,:(top,glob,exclude)it's/**,");
    expect(run('refs/heads/pw/demo/api2')).toBe('');
    expect(run('refs/heads/main')).toBe('');
    expect(sh(`${table}\npw_is_worker api && pw_is_worker nobody`).status).toBe(1);
    expect(sh(`${table}\npw_is_worker api`).status).toBe(0);
  });
});

describe('commit-msg fast path', () => {
  // The sh function alone, fed one header per line; prints 1 (accepted) or 0.
  const body = renderHookScript(templates, values, 'commit-msg');
  const fn = body.slice(body.indexOf("pw_alnum='"), body.indexOf('\npw_header=\n'));
  const table = renderGuardTable({
    name: 'demo',
    base: 'main',
    workers: ['api', 'web', 'db'].map((id) => ({ id, branch: `pw/demo/${id}`, excludes: [] })),
  });
  const script = `PW_WORKER=api\npw_ref=\n${table}\n${fn}\nwhile IFS= read -r h; do if pw_header_ok "$h"; then echo 1; else echo 0; fi; done`;
  const judge = (headers: string[]): boolean[] =>
    sh(script, [], headers.map((h) => `${h}\n`).join(''))
      .stdout.split('\n')
      .slice(0, headers.length)
      .map((x) => x === '1');
  const context = { workers: ['api', 'web', 'db'], self: 'api' };

  it('accepts the ordinary headers (so Node rarely starts)', () => {
    const good = [
      '[CHECKPOINT] add the route',
      '[COMPLETE] done',
      '[BLOCKED:db schema] waiting',
      '[NEEDS:web/login-form] need it',
      '[NEEDS:db/x/y] nested item',
    ];
    expect(judge(good)).toEqual(good.map(() => true));
    for (const header of good) expect(parseCommitMessage(header, context).type).toBe('protocol');
  });

  it('passes the rest to pw: never accepts what the protocol parser refuses', () => {
    const alphabet = [
      '[',
      ']',
      ':',
      '/',
      ' ',
      '\t',
      '\r',
      'x',
      'é',
      '\u00a0',
      '\u2028',
      '\u2029',
      '\u0085',
      '\u009b',
      '\u202e',
      '\u2066',
      '\x1b',
      '\x07',
      '\ufeff',
      '\u3000',
      '#',
      '!',
      'CHECKPOINT',
      'COMPLETE',
      'BLOCKED',
      'NEEDS',
      'checkpoint',
      'web',
      'api',
      'nobody',
      '1',
      '"',
      '\\',
      '*',
      '?',
      '$(id)',
      '`',
    ];
    const seeds = [
      '[CHECKPOINT]',
      '[COMPLETE]',
      '[BLOCKED:',
      '[NEEDS:',
      '[NEEDS:web/',
      '[NEEDS:api/',
      ' [CHECKPOINT]',
      '[CHECKPOINT:',
      '',
    ];
    // mulberry32: a small seeded generator, so the corpus is the same on every run.
    let state = 42;
    const random = (n: number) => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const headers: string[] = [
      '[CHECKPOINT]',
      '[CHECKPOINT] ',
      '[CHECKPOINT]\u00a0',
      '[CHECKPOINT] \u2028',
      '[CHECKPOINT] \u202egnp.exe',
      '[COMPLETE] done \u009b2J',
      '[BLOCKED:x\u2067] y',
      '[BLOCKED: ] x',
      '[BLOCKED:x]',
      '[NEEDS:web/] x',
      '[NEEDS:api/x] self',
      '[NEEDS: web/x] spaced',
      '[NEEDS:/x] y',
      '[NEEDS:web/x y',
      '[CHECKPOINT]] x',
      '[checkpoint] x',
      '[CHECKPOINT] x\ry',
    ];
    for (let i = 0; i < 20000; i++) {
      let header = seeds[random(seeds.length)]!;
      const length = random(8);
      for (let j = 0; j < length; j++) header += alphabet[random(alphabet.length)];
      headers.push(header.replace(/\n/g, ''));
    }
    const accepted = judge(headers);
    expect(accepted).toHaveLength(headers.length);
    let fast = 0;
    headers.forEach((header, i) => {
      if (!accepted[i]) return;
      fast++;
      expect(parseCommitMessage(header, context), JSON.stringify(header)).toMatchObject({
        type: 'protocol',
      });
    });
    expect(fast).toBeGreaterThan(100);
  });
});
