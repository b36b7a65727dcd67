import { untilReaderGone, type CommandDeps, type CommandResult } from '../../cli/deps.js';
import { parseDuration } from '../../domain/plan/duration.js';
import type { PlanStatus } from '../../domain/status/plan-status.js';
import {
  listMessageEvents,
  listStatusEvents,
  mergeEventsByTime,
  takeNewEvents,
} from '../../domain/status/events.js';
import { resolveHubRead, type FetchRequest } from '../../git/fetch-workers.js';
import { readEvents } from '../../store/trusted-store.js';
import { UsageError } from '../../errors.js';
import { createLiveView } from '../../render/status/live-view.js';
import { renderStatusTable } from '../../render/status/table.js';
import { loadActivePlan } from '../active-plan.js';
import { readPlanSnapshot } from './read-plan-status.js';
import { followPlanStatus, parseInterval } from './loop.js';
import { assertPlanTrusted } from '../trust.js';

export interface MonitorOptions {
  plan?: string;
  json?: boolean;
  watch?: boolean;
  events?: boolean;
  since?: string;
  fetch?: FetchRequest;
  interval?: string;
}

/** The `--json` document and each `--events` line carry this (docs/status-json.md). */
export const STATUS_SCHEMA_VERSION = 1;

/** Colour on a terminal, unless NO_COLOR is set (https://no-color.org). */
export function useColor(deps: CommandDeps): boolean {
  return deps.isTTY && !deps.env.NO_COLOR;
}

export function statusJson(status: PlanStatus): string {
  return `${JSON.stringify({ schemaVersion: STATUS_SCHEMA_VERSION, ...status }, null, 2)}\n`;
}

/**
 * `--since`: a duration back from now (`2h`), a date or time git-style ISO
 * (`2024-05-01`, `2024-05-01T10:00Z`), or `start` for the whole history.
 */
export function parseSince(text: string, now: number): number {
  if (/^(start|all|beginning)$/i.test(text.trim())) return -Infinity;
  const duration = parseDuration(text);
  if (duration !== null) return now - duration;
  const date = Date.parse(text);
  if (!Number.isNaN(date)) return date;
  throw new UsageError(`--since "${text}" is neither a duration nor a date`, [
    'Use e.g. --since 2h, --since 2024-05-01T09:00Z, or --since start for the whole history.',
  ]);
}

function assertOptions(options: MonitorOptions): void {
  if (options.watch && options.events) {
    throw new UsageError('--watch and --events do not go together', [
      '--watch redraws the table for people; --events prints one JSON line per change for programs.',
    ]);
  }
  if (options.since !== undefined && !options.events) {
    throw new UsageError('--since only applies to --events', [
      'Run pw monitor --events --since 1h to replay the last hour, then follow.',
    ]);
  }
  if (options.watch && options.json) {
    throw new UsageError('--watch shows the table; --json prints one document', [
      'For a machine-readable stream of changes use --events.',
    ]);
  }
}

/**
 * `pw monitor` / `pw status`: one table of workers (or `--json`), a live view
 * (`--watch`), or a stream of JSON lines as things happen (`--events`).
 * Exits 0 once it has shown the status: `pw wait` is the command whose exit
 * code says whether the workers need attention.
 */
export async function runMonitor(
  options: MonitorOptions,
  deps: CommandDeps,
): Promise<CommandResult> {
  assertOptions(options);
  const intervalMs = parseInterval(options.interval);
  const since =
    options.since === undefined ? null : parseSince(options.since, deps.now().getTime());
  // Which hub to read (pw.hub) is asked while the plan loads: one git process
  // less on the way to a one-shot status. Awaited after the plan, so a plan
  // error still comes first.
  const hubRead = options.events || options.watch ? null : resolveHubRead(deps.cwd, options.fetch);
  hubRead?.catch(() => undefined);
  const { repo, plan, trust } = await loadActivePlan(deps.cwd, options.plan);
  await assertPlanTrusted(deps.cwd, repo.commonDir, plan.name, 'pw status', trust);
  const cwd = repo.topLevel;
  const follow = {
    cwd,
    plan,
    commonDir: repo.commonDir,
    fetch: options.fetch,
    intervalMs,
  };

  if (options.events) {
    const seen = new Set<string>();
    let first = true;
    await followPlanStatus(
      { ...follow, withHistories: true },
      untilReaderGone(deps),
      async (snapshot) => {
        const events = mergeEventsByTime(
          listStatusEvents(plan, snapshot.histories ?? new Map(), snapshot.status),
          listMessageEvents(await readEvents(repo.commonDir, plan.name)),
        );
        if (first) {
          first = false;
          for (const event of events) {
            seen.add(event.id);
            if (since !== null && Date.parse(event.time) >= since) emit(event);
          }
          deps.stderr(
            `pw: following plan ${plan.name} (${snapshot.status.summary}): one JSON line per change on stdout; Ctrl-C stops\n`,
          );
          return false;
        }
        for (const event of takeNewEvents(events, seen)) emit(event);
        return false;
      },
    );
    return { exitCode: 0 };
  }

  if (options.watch) {
    const view = createLiveView(deps.stdout, deps.isTTY);
    const color = useColor(deps);
    try {
      await followPlanStatus(follow, untilReaderGone(deps), (snapshot) => {
        view.show(renderStatusTable(snapshot.status, { color }));
        return false;
      });
    } finally {
      view.close();
    }
    return { exitCode: 0 };
  }

  const snapshot = await readPlanSnapshot(cwd, plan, deps.now(), {
    repo,
    fetch: options.fetch,
    hubRead: (await hubRead) ?? undefined,
  });
  for (const note of snapshot.notes) deps.stderr(`${note}\n`);
  // What `pw run` knows beyond git (attempts, retries, live agents), when it has run.
  const { readRunState } = await import('../run/read-run-state.js');
  const run = await readRunState(repo.commonDir, plan, snapshot.status);
  deps.stdout(
    options.json
      ? run
        ? statusJson({
            ...snapshot.status,
            run: { runId: run.runId, workers: run.workers },
          } as PlanStatus)
        : statusJson(snapshot.status)
      : renderStatusTable(snapshot.status, {
          color: useColor(deps),
          agentsRunning: new Map(
            (run?.workers ?? []).flatMap((w) =>
              w.state === 'running' ? [[w.worker, w.attempt] as const] : [],
            ),
          ),
        }) + (run?.text ?? ''),
  );
  return { exitCode: 0 };

  function emit(event: object): void {
    deps.stdout(`${JSON.stringify({ schemaVersion: STATUS_SCHEMA_VERSION, ...event })}\n`);
  }
}
