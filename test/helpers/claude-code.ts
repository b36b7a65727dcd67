import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RunRepo } from './run-fixture.js';
import { builtBin } from './temp-repo.js';

// Installed by `node scripts/install-claude-code.mjs` (kept in step with its pinned version).
const VERSION = '2.1.328';

/** Where the pinned Claude Code CLI is installed for the tests. */
export const claudeCodeBin = join(
  process.env.PW_AGENT_CACHE || join(homedir(), '.cache', 'pw-agents'),
  `claude-code-${VERSION}`,
  'node_modules',
  '.bin',
  'claude',
);

/** Whether the real client is installed; says SKIPPED (and how to install it) when not. */
export function claudeCodeInstalled(testFile: string): boolean {
  const installed = existsSync(claudeCodeBin);
  if (!installed)
    console.log(
      `SKIPPED: the real Claude Code test (${testFile}) needs ${claudeCodeBin}; install it with: node scripts/install-claude-code.mjs`,
    );
  return installed;
}

/** Runs the built pw in a run fixture's repository, without blocking the event loop (the model server runs in it). */
export function runPwAsync(
  r: RunRepo,
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtBin, ...args], {
      cwd: r.dir,
      env: { ...r.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
