// Shared helpers for the benchmarks: timing, medians, and hermetic git.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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
