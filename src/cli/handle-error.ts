import { ExitCode, GitError, PwError } from '../errors.js';
import { escapeTerminalLines } from '../domain/text/terminal-text.js';

/** The one place an error becomes text on stderr and an exit code. */
export function handleError(error: unknown, stderr: (text: string) => void): number {
  if (error instanceof PwError) {
    // Messages quote commit headers and paths (an integrate refusal, a git error): escaped.
    stderr(`pw: ${escapeTerminalLines(error.message)}\n`);
    for (const line of error.details) stderr(`  ${escapeTerminalLines(line)}\n`);
    return error.exitCode;
  }
  if (error instanceof GitError) {
    stderr(`pw: ${error.message}\n`);
    stderr('  This is unexpected; re-run with PW_DEBUG=1 for a stack trace and report it.\n');
    if (process.env.PW_DEBUG) stderr(`${error.stack ?? ''}\n`);
    return ExitCode.failed;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr(`pw: internal error: ${message}\n`);
  return ExitCode.failed;
}
