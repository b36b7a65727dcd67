import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handleError } from '../../src/cli/handle-error.js';
import { GitError } from '../../src/errors.js';
import { createTempRepo } from '../helpers/temp-repo.js';

/**
 * The README's promise: every error says what is wrong, where, and what to do
 * next. One case per error class (usage, environment, failed, unexpected git
 * failure), each checked for the three parts.
 */

const NEXT_STEP =
  /\b(run|re-run|pass|fix|add|give|commit|create|install|rename|narrow|resolve|name|use|report)\b/i;

function expectThreeParts(stderr: string, where: string): void {
  const [first = '', ...rest] = stderr.trimEnd().split('\n');
  // What: one line, prefixed, saying what is wrong.
  expect(first).toMatch(/^pw: \S/);
  // Where: the file, path, option or command it is about.
  expect(stderr).toContain(where);
  // What next: an indented line with something to do.
  expect(rest.some((line) => line.startsWith('  ') && NEXT_STEP.test(line))).toBe(true);
}

describe('every error says what is wrong, where, and what to do next', () => {
  const repo = createTempRepo({ files: { 'a/x.txt': 'a\n', 'b/y.txt': 'b\n' } });
  afterAll(() => repo.cleanup());

  it('usage (exit 2): a plan file that does not exist', () => {
    const result = repo.pw(['setup', 'missing.yaml']);
    expect(result.status).toBe(2);
    expectThreeParts(result.stderr, join(repo.dir, 'missing.yaml'));
  });

  it('usage (exit 2): a folder given as the plan, and an option a command does not have', () => {
    mkdirSync(join(repo.dir, 'plans'), { recursive: true });
    const folder = repo.pw(['setup', 'plans']);
    expect(folder.status).toBe(2);
    expect(folder.stderr.split('\n')[0]).toBe(
      `pw: ${join(repo.dir, 'plans')} is a folder, not a plan file`,
    );
    expectThreeParts(folder.stderr, join(repo.dir, 'plans'));
    const option = repo.pw(['status', '--jsn']);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("unknown option '--jsn'");
    expect(option.stderr).toContain('(Did you mean --json?)');
    expect(option.stderr).toContain('(run pw status --help for its options)');
  });

  it('usage (exit 2): an invalid plan names the file and each field', () => {
    repo.write(
      'bad.yaml',
      'name: bad\nworkers:\n  - id: a\n    owns: [/a/]\n  - id: b\n    owns: [/a/]\n',
    );
    const result = repo.pw(['setup', 'bad.yaml']);
    expect(result.status).toBe(2);
    expectThreeParts(result.stderr, 'workers[0].task');
  });

  it('usage (exit 2): PW_NOW that is not a date is refused, not ignored', () => {
    const result = repo.pw(['status'], { env: { PW_NOW: 'garbage' } });
    expect(result.status).toBe(2);
    expectThreeParts(result.stderr, 'PW_NOW');
    expect(result.stderr).toContain('"garbage"');
    expect(repo.pw(['status'], { env: { PW_NOW: '' } }).stderr).not.toContain('PW_NOW');
  });

  it('each hooks action describes --hub as what it does there', () => {
    // Help wraps long descriptions: compare with the whitespace folded.
    const help = (action: string): string =>
      repo.pw(['hooks', action, '--help']).stdout.replace(/\s+/g, ' ');
    expect(help('install')).toContain(
      '--hub <path> a bare repository that workers push to (installs its pre-receive hook)',
    );
    expect(help('uninstall')).toContain(
      '--hub <path> a bare repository to remove the pre-receive hook from',
    );
    expect(help('uninstall')).not.toContain('installs');
    expect(help('status')).toContain(
      '--hub <path> a bare repository whose pre-receive hook to inspect',
    );
  });

  it('environment (exit 3): not inside a git repository', () => {
    const outside = join(repo.root, 'not-a-repo');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'README'), 'x\n');
    const result = repo.pw(['status'], { cwd: outside });
    expect(result.status).toBe(3);
    expectThreeParts(result.stderr, outside);
  });

  it('failed (exit 1): a worker out of its scope, found by pw check', () => {
    repo.write(
      'plan.yaml',
      'name: demo\nworkers:\n  - id: a\n    owns: [/a/]\n    task: do a\n  - id: b\n    owns: [/b/]\n    task: do b\n',
    );
    repo.commitAll('add plan');
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    const worktree = join(repo.root, 'repo.pw', 'demo', 'a');
    repo.write('b/y.txt', 'changed by a\n', worktree);
    // `-c core.hooksPath` is the one bypass the hooks cannot see; pw check is the gate behind it.
    repo.git(['-c', 'core.hooksPath=/dev/null', 'commit', '-qam', '[CHECKPOINT] edits b'], {
      cwd: worktree,
    });
    const result = repo.pw(['check', '--plan', 'demo']);
    expect(result.status).toBe(1);
    // A finding is a report on stdout, not an error: the same three parts, laid out as a table.
    expect(result.stdout).toMatch(/^pw check \(plan demo\): 1 finding/);
    expect(result.stdout).toMatch(/a +[0-9a-f]{12} +scope +b\/y\.txt +\(owned by b\)/);
    expect(result.stdout).toMatch(/What to do:\n {2}- scope: rewrite the worker branch/);
  });

  it('an unexpected git failure names the git command and says what to do', () => {
    let text = '';
    const code = handleError(
      new GitError(['rev-parse', 'HEAD'], 128, 'fatal: bad revision'),
      (line) => (text += line),
    );
    expect(code).toBe(1);
    expectThreeParts(text, 'git rev-parse HEAD');
    const saved = /stack trace in (\S+pw-error-\S+)\.$/m.exec(text)?.[1];
    expect(readFileSync(saved!, 'utf8')).toContain('GitError: git rev-parse HEAD failed');
    rmSync(saved!);
  });

  it('an internal error says it is a bug and where the stack trace for the report is', () => {
    let text = '';
    const error = new TypeError("Cannot read properties of undefined (reading 'id')");
    const code = handleError(error, (line) => (text += line));
    expect(code).toBe(1);
    expect(text.split('\n')[0]).toBe(
      "pw: internal error: Cannot read properties of undefined (reading 'id')",
    );
    const path = /stack trace in (\S+)\.$/m.exec(text)?.[1];
    expectThreeParts(text, path!);
    const report = readFileSync(path!, 'utf8');
    rmSync(path!);
    expect(report).toMatch(/^command: pw /);
    expect(report).toContain(error.stack!);
  });

  it('an internal error whose report cannot be saved prints the stack instead', () => {
    let text = '';
    handleError(
      new Error('boom'),
      (line) => (text += line),
      () => null,
    );
    expectThreeParts(text, 'boom');
    expect(text).toContain('report it with the command you ran and this stack trace:');
    expect(text).toMatch(/^ +Error: boom\n +at /m);
  });
});
