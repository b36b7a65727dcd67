import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { FailedError } from '../errors.js';

// Placeholder until this command lands.
export async function runMonitor(
  _options: Record<string, unknown>,
  _deps: CommandDeps,
): Promise<CommandResult> {
  throw new FailedError('pw monitor is not available in this build yet');
}
