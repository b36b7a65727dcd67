#!/usr/bin/env node
// Installs a pinned Claude Code CLI into a cache folder outside the project's
// dependencies, for the tests that drive the real client against a scripted
// model server (test/e2e/run-claude-code.test.ts). Idempotent: an existing
// install of the pinned version is kept.
//
//   node scripts/install-claude-code.mjs          install (or report the install)
//   node scripts/install-claude-code.mjs --path   print the binary's path, or nothing
//
// The cache folder is $PW_AGENT_CACHE, else ~/.cache/pw-agents.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CLAUDE_CODE_VERSION = '2.1.328';

export function claudeCodeDir(env = process.env) {
  const cache = env.PW_AGENT_CACHE || join(homedir(), '.cache', 'pw-agents');
  return join(cache, `claude-code-${CLAUDE_CODE_VERSION}`);
}

export function claudeCodeBin(env = process.env) {
  return join(claudeCodeDir(env), 'node_modules', '.bin', 'claude');
}

function main() {
  const bin = claudeCodeBin();
  if (process.argv.includes('--path')) {
    if (existsSync(bin)) process.stdout.write(`${bin}\n`);
    return;
  }
  if (existsSync(bin)) {
    console.log(`Claude Code ${CLAUDE_CODE_VERSION} is installed: ${bin}`);
    return;
  }
  const dir = claudeCodeDir();
  // Installed beside the final folder and renamed into place, so an interrupted
  // install never looks like a complete one.
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(
    npm,
    [
      'install',
      '--prefix',
      staging,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      `@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}`,
    ],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    console.error(`install-claude-code: npm install failed (exit ${result.status}).`);
    process.exitCode = 1;
    return;
  }
  const probe = spawnSync(join(staging, 'node_modules', '.bin', 'claude'), ['--version'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0 || !probe.stdout.includes(CLAUDE_CODE_VERSION)) {
    rmSync(staging, { recursive: true, force: true });
    console.error(`install-claude-code: the installed client does not run: ${probe.stderr}`);
    process.exitCode = 1;
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Claude Code ${CLAUDE_CODE_VERSION} installed in ${seconds}s: ${claudeCodeBin()}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
