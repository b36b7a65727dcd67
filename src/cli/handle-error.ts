import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, GitError, PwError } from '../errors.js';
import { escapeTerminalLines } from '../domain/text/terminal-text.js';

/** Where an unexpected error's report goes: a file path, or null when it could not be written. */
export type SaveErrorReport = (text: string) => string | null;

/** Writes the report to a file of its own in the temp folder. */
export const saveErrorReport: SaveErrorReport = (text) => {
  const path = join(
    tmpdir(),
    `pw-error-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.txt`,
  );
  try {
    writeFileSync(path, text);
    return path;
  } catch {
    return null;
  }
};

/** The command, versions and stack of an error pw did not expect, for a bug report. */
function errorReport(error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return [
    `command: pw ${process.argv.slice(2).join(' ')}`,
    `cwd: ${process.cwd()}`,
    `node: ${process.version}, platform: ${process.platform}`,
    '',
    stack,
    '',
  ].join('\n');
}

/** The lines saying what to do about an error pw did not expect. */
function reportLines(error: unknown, save: SaveErrorReport): string[] {
  const report = errorReport(error);
  const path = save(report);
  if (path === null) {
    return [
      'This is a bug in pw: report it with the command you ran and this stack trace:',
      ...report
        .trimEnd()
        .split('\n')
        .map((line) => `    ${line}`),
    ];
  }
  return [
    `This is a bug in pw: report it with the command you ran and the stack trace in ${path}.`,
  ];
}

/** The one place an error becomes text on stderr and an exit code. */
export function handleError(
  error: unknown,
  stderr: (text: string) => void,
  save: SaveErrorReport = saveErrorReport,
): number {
  if (error instanceof PwError) {
    // Messages quote commit headers and paths (an integrate refusal, a git error): escaped.
    stderr(`pw: ${escapeTerminalLines(error.message)}\n`);
    for (const line of error.details) stderr(`  ${escapeTerminalLines(line)}\n`);
    return error.exitCode;
  }
  if (error instanceof GitError) {
    stderr(`pw: ${error.message}\n`);
    stderr(
      '  Run the command again; if git fails the same way, check the repository with git fsck.\n',
    );
    for (const line of reportLines(error, save)) stderr(`  ${line}\n`);
    return ExitCode.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  stderr(`pw: internal error: ${message}\n`);
  for (const line of reportLines(error, save)) stderr(`  ${line}\n`);
  return ExitCode.failed;
}
