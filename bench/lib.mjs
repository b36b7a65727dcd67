// Shared helpers for the benchmarks: timing, medians, hermetic git, generated repositories.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  NO_COLOR: '1',
};

export function sh(command, args, options = {}) {
  const result = spawnSync(command, args, {
    env: gitEnv,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    ...options,
  });
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return result;
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function timeIt(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs each variant `rounds` times, alternating, and returns the samples per variant. */
export async function alternate(variants, rounds, warmup = 2) {
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const ms = await timeIt(fn);
      if (round >= 0) samples[name].push(ms);
    }
  }
  return samples;
}

export function report(title, samples, baseline) {
  console.log(`\n${title}`);
  const base = median(samples[baseline]);
  for (const [name, values] of Object.entries(samples)) {
    const m = median(values);
    console.log(
      `  ${name.padEnd(44)} median ${m.toFixed(1).padStart(8)} ms   ${(m / base).toFixed(2)}x ${name === baseline ? '(baseline)' : ''}`,
    );
  }
}

// Repositories for the benchmarks that run the built pw (hooks, status, integrate).

/** A hermetic environment for git and pw: its own HOME, a pinned identity, no system config, C locale. */
export function benchEnv(home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
  };
}

/**
 * A scratch folder (`work`) with an empty HOME and an empty repository in
 * `work/repo` (`git init -b main`, pinned identity, no signing, no automatic
 * gc or maintenance), and helpers that run git and the built pw there.
 * `git` returns trimmed stdout and throws on failure; so does `pw`.
 */
export function createBenchRepo(prefix, bin) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const home = join(work, 'home');
  const repo = join(work, 'repo');
  mkdirSync(home, { recursive: true });
  const env = benchEnv(home);
  const git = (args, cwd = repo, input) =>
    execFileSync('git', args, { cwd, env, input, encoding: 'utf8', maxBuffer: 1 << 30 }).trim();
  const pw = (args, cwd = repo, runEnv = env) => {
    const result = spawnSync(process.execPath, [bin, ...args], {
      cwd,
      env: runEnv,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (result.status !== 0)
      throw new Error(
        `pw ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
      );
    return result.stdout;
  };
  git(['init', '-q', '-b', 'main', repo], work);
  for (const [key, value] of [
    ['user.name', 'Bench'],
    ['user.email', 'bench@example.com'],
    ['gc.auto', '0'],
    ['commit.gpgSign', 'false'],
    ['maintenance.auto', 'false'],
  ])
    git(['config', key, value]);
  return { work, home, repo, env, git, pw };
}

/**
 * One `commit` command of a `git fast-import` stream (git-fast-import(1)):
 * `files` ({ path, data }) inline, on top of `from` when given (else on the
 * ref's current commit, or none). Many of them in one stream make a history
 * in one process, with no files on disk.
 */
export function fastImportCommit({ ref, time, message, from = null, files = [] }) {
  const chunks = [
    `commit ${ref}\ncommitter Bench <bench@example.com> ${time} +0000\n`,
    `data ${Buffer.byteLength(message)}\n${message}\n`,
  ];
  if (from) chunks.push(`from ${from}\n`);
  for (const { path, data } of files)
    chunks.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  return chunks.join('');
}
