import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtBin, createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// What pw does at its limits: each ends in a clear refusal with an exit code,
// never a stack trace, a hang or a launch script that cannot start.

const plan = (extra = '', task = 'Work on a.'): string =>
  `name: lim\n${extra}workers:\n  - id: a\n    owns: [/a/]\n    task: ${JSON.stringify(task)}\n`;

let repo: TempRepo;
beforeEach(() => {
  repo = createTempRepo({ files: { 'README.md': '# limits\n', 'a/one.txt': 'a\n' } });
});
afterEach(() => repo.cleanup());

/** Runs pw with its stdout piped to a reader that closes the pipe before pw writes. */
function pwIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtBin, ...args], {
      cwd: repo.dir,
      env: repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away at once: pw's first write meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('plan files', () => {
  it('a YAML alias bomb is a plan error (exit 2), not an internal error', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    repo.write('bomb.yaml', `name: bomb\n${levels.join('\n')}\n${plan().replace(/^name.*\n/, '')}`);
    const result = repo.pw(['setup', 'bomb.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`pw: invalid plan ${join(repo.dir, 'bomb.yaml')} (1 problem)`);
    expect(result.stderr).toContain('YAML: aliases expand too far (over 100 expansions)');
    expect(result.stderr).not.toMatch(/internal error|\n {4}at /);
  });

  it('a plan file over 1 MiB is refused naming the file and the limit', () => {
    repo.write('big.yaml', `${plan()}# ${'x'.repeat(1024 * 1024)}\n`);
    const result = repo.pw(['setup', 'big.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^pw: plan file ${join(repo.dir, 'big.yaml')} is \\d+ bytes, over the limit of 1048576 bytes \\(1 MiB\\)\n`,
      ),
    );
  });
});

describe('setup', () => {
  it('a brief over one argv string (131071 bytes) is refused before anything is created', () => {
    repo.write('plan.yaml', plan('', 'x'.repeat(131_072)));
    const result = repo.pw(['setup', 'plan.yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'pw: the brief of a is over 131071 bytes, the most one command-line argument can hold on Linux',
    );
    expect(repo.gitResult(['rev-parse', '--verify', '-q', 'pw/lim/a']).status).not.toBe(0);
  });

  it('a brief just under the limit is set up and its launch script starts the agent', () => {
    // The agent prints the size of its last argument: the whole brief arrives.
    repo.write(
      'plan.yaml',
      plan(`agent: 'node -e "console.log(process.argv.at(-1).length)"'\n`, 'x'.repeat(120_000)),
    );
    const setup = repo.pw(['setup', 'plan.yaml', '--json']);
    expect(setup.status, setup.stderr).toBe(0);
    const launch = (JSON.parse(setup.stdout) as { workers: { launch: string }[] }).workers[0]!
      .launch;
    const started = spawn(launch, [], { env: repo.env });
    let out = '';
    started.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return new Promise<void>((resolve) => {
      started.on('close', (code) => {
        expect(code).toBe(0);
        expect(Number(out.trim())).toBeGreaterThan(120_000);
        resolve();
      });
    });
  });

  it('a worktreeRoot that takes no folders (/proc/x) is refused at once, leaving nothing', () => {
    repo.write('plan.yaml', plan('worktreeRoot: /proc/x\n'));
    const result = repo.pw(['setup', 'plan.yaml']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(
      'pw: the worktrees of plan "lim" cannot be created in /proc/x/lim: no folder can be created in /proc',
    );
    expect(result.stderr).toContain('Set worktreeRoot (now "/proc/x"');
    expect(repo.gitResult(['rev-parse', '--verify', '-q', 'pw/lim/a']).status).not.toBe(0);
  });

  it('a worktreeRoot under a file is refused naming the file', () => {
    repo.write('plan.yaml', plan('worktreeRoot: README.md/trees\n'));
    const result = repo.pw(['setup', 'plan.yaml']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`${join(repo.dir, 'README.md')} is not a folder`);
    expect(readdirSync(repo.root).filter((name) => name.endsWith('.pw'))).toEqual([]);
  });
});

describe('a closed stdout', () => {
  it('pw setup and pw status into a pipe whose reader is gone: the work is done, exit 0, no stack trace', async () => {
    repo.write('plan.yaml', plan());
    const setup = await pwIntoClosedPipe(['setup', 'plan.yaml']);
    expect(setup).toEqual({ code: 0, stderr: '' });
    expect(existsSync(join(repo.root, 'repo.pw', 'lim', 'a'))).toBe(true);
    const status = await pwIntoClosedPipe(['status']);
    expect(status).toEqual({ code: 0, stderr: '' });
  });

  it('pw status --watch ends with its reader (exit 0) instead of watching for no one', async () => {
    repo.write('plan.yaml', plan());
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    // Without the fix it never exits; the test's own timeout is the bound.
    expect(await pwIntoClosedPipe(['status', '--watch'])).toEqual({ code: 0, stderr: '' });
  });
});
