import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { formatDuration, parseDuration } from '../domain/plan/duration.js';
import type { PlanStatus } from '../domain/status/plan-status.js';
import { planWaitOutcome, type WaitOutcome } from '../domain/status/plan-wait.js';
import { ExitCode, UsageError } from '../errors.js';
import { escapeTerminal } from '../domain/text/terminal-text.js';
import type { FetchRequest } from '../git/fetch-workers.js';
import { loadActivePlan } from './active-plan.js';
import { STATUS_SCHEMA_VERSION } from './status/index.js';
import { followPlanStatus, parseInterval } from './status/loop.js';
import { assertPlanTrusted } from './trust.js';

export interface WaitOptions {
  plan?: string;
  timeout?: string;
  fetch?: FetchRequest;
  interval?: string;
  json?: boolean;
}

/** Ctrl-C: the conventional 128 + SIGINT. */
const INTERRUPTED = 130;

/**
 * `pw wait`: blocks until every worker is complete (exit 0), one needs
 * attention (blocked, stalled, deadlocked, a violation, given up on or
 * skipped by the last pw run: exit 1, saying who and why), or the timeout
 * passes (exit 124). Wakes on every worker ref change, and polls every
 * --interval for edits and the clock.
 */
export async function runWait(options: WaitOptions, deps: CommandDeps): Promise<CommandResult> {
  const intervalMs = parseInterval(options.interval);
  let timeoutMs: number | null = null;
  if (options.timeout !== undefined) {
    timeoutMs = parseDuration(options.timeout);
    if (timeoutMs === null) {
      throw new UsageError(`--timeout "${options.timeout}" is not a duration`, [
        'Use e.g. --timeout 90s, --timeout 30m or --timeout 2h (0 checks once).',
      ]);
    }
  }
  const { repo, plan, trust } = await loadActivePlan(deps.cwd, options.plan);
  await assertPlanTrusted(deps.cwd, repo.commonDir, plan.name, 'pw wait', trust);
  // What the last pw run gave up on (its record, beside git's history).
  const { readRunFailures } = await import('./run/read-run-state.js');
  const started = deps.now().getTime();
  const deadline = timeoutMs === null ? Infinity : started + timeoutMs;
  // Set by the callback below; a holder, so the type survives the closure.
  const seen: { last: { status: PlanStatus; outcome: WaitOutcome } | null } = { last: null };

  const ended = await followPlanStatus(
    {
      cwd: repo.topLevel,
      plan,
      commonDir: repo.commonDir,
      fetch: options.fetch,
      intervalMs,
      nextWaitMs: () => deadline - deps.now().getTime(),
    },
    deps,
    async (snapshot) => {
      const first = seen.last === null;
      const runFailures = await readRunFailures(repo.commonDir, plan, snapshot.status);
      seen.last = {
        status: snapshot.status,
        outcome: planWaitOutcome(snapshot.status, runFailures),
      };
      const done = seen.last.outcome.outcome !== 'waiting' || deps.now().getTime() >= deadline;
      if (first && !done) {
        deps.stderr(
          `pw: waiting for plan ${plan.name} (${snapshot.status.summary})${timeoutMs === null ? '' : `, at most ${formatDuration(timeoutMs)}`}; Ctrl-C stops\n`,
        );
      }
      return done;
    },
  );
  if (seen.last === null) {
    deps.stdout('interrupted before the status was read\n');
    return { exitCode: INTERRUPTED };
  }
  const { status, outcome } = seen.last;
  const timedOut = outcome.outcome === 'waiting' && ended === 'done';
  const exitCode =
    outcome.outcome === 'complete'
      ? ExitCode.ok
      : outcome.outcome === 'attention'
        ? ExitCode.failed
        : timedOut
          ? ExitCode.timeout
          : INTERRUPTED;
  const waitedMs = deps.now().getTime() - started;

  if (options.json) {
    deps.stdout(
      `${JSON.stringify(
        {
          schemaVersion: STATUS_SCHEMA_VERSION,
          outcome: timedOut
            ? 'timeout'
            : ended === 'interrupted' && outcome.outcome === 'waiting'
              ? 'interrupted'
              : outcome.outcome,
          exitCode,
          waitedMs,
          reasons: outcome.outcome === 'attention' ? outcome.reasons : [],
          status,
        },
        null,
        2,
      )}\n`,
    );
    return { exitCode };
  }
  if (outcome.outcome === 'complete') {
    deps.stdout(
      `all ${status.workers.length} workers are complete · ${
        status.integrated
          ? `integrated into ${status.target}: pw teardown removes the worktrees and branches`
          : 'ready to integrate: pw integrate'
      }\n`,
    );
  } else if (outcome.outcome === 'attention') {
    deps.stdout(`needs attention (${status.summary}):\n`);
    for (const reason of outcome.reasons) deps.stdout(`  ${escapeTerminal(reason.message)}\n`);
  } else if (timedOut) {
    deps.stdout(`timed out after ${formatDuration(waitedMs)}: ${status.summary}\n`);
  } else {
    deps.stdout(`interrupted after ${formatDuration(waitedMs)}: ${status.summary}\n`);
  }
  return { exitCode };
}
