import { join } from 'node:path';
import { startDetached } from '../../agents/spawn-agent.js';
import { pwBin } from '../../cli/package-files.js';
import { runPaths } from '../../store/run/run-record.js';

/**
 * Starts `pw run <plan> --only <workers> --deliver-only` in the background:
 * it resumes those workers' sessions with their queued messages, and waits
 * for the plan's run lock first when another run holds it. Its output goes
 * to `logs/<first worker>/deliver-<n>.log`.
 */
export async function startDeliveryRun(input: {
  commonDir: string;
  mainWorktree: string;
  plan: string;
  workers: readonly string[];
  /** Names the log: the first message's sequence number. */
  seq: number;
  env: NodeJS.ProcessEnv;
}): Promise<{ pid: number; log: string; workers: string[] }> {
  const log = join(
    runPaths(input.commonDir, input.plan).logs,
    input.workers[0]!,
    `deliver-${input.seq}.log`,
  );
  const { pid } = await startDetached({
    argv: [
      process.execPath,
      pwBin(),
      'run',
      input.plan,
      '--only',
      input.workers.join(','),
      '--deliver-only',
      '--json',
    ],
    cwd: input.mainWorktree,
    env: input.env,
    logPath: log,
  });
  return { pid, log, workers: [...input.workers] };
}
