import { escapeTerminal } from '../../domain/text/terminal-text.js';
import { formatDuration } from '../../domain/plan/duration.js';
import type { RunEvent } from '../../domain/run/run-events.js';

/** Control characters from agent output cannot move the cursor or forge lines: shown as \xNN. */
export function neutralize(text: string): string {
  return escapeTerminal(text);
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** One plain line per event, for logs and pipes. */
export function formatRunEventLine(event: RunEvent): string | null {
  const who = event.worker ? `${event.worker}: ` : '';
  const text = ((): string | null => {
    switch (event.type) {
      case 'run-started':
        return `run ${String(event.runId)} of plan ${event.plan}: ${(event.workers as string[]).length} worker(s)${event.resumed ? ' (continuing the previous run)' : ''}`;
      case 'setup':
        return `set up plan ${event.plan}`;
      case 'worker-merged':
        return `${who}merged ${String(event.provider)}'s COMPLETE work (${String(event.providerCommit).slice(0, 10)})`;
      case 'worker-started':
        return `${who}started attempt ${String(event.attempt)}${event.messages ? ' (resumed with a message)' : event.resume ? ' (resumed)' : ''}, pid ${String(event.pid)}`;
      case 'message-queued':
        return `${who}message ${String(event.message)} queued (${String(event.reason ?? event.source)})`;
      case 'message-delivered':
        return `${who}message ${String(event.message)} delivered in attempt ${String(event.attempt)}`;
      case 'worker-adopted':
        return `${who}agent from the previous run still runs (pid ${String(event.pid)}); adopted, not started again`;
      case 'agent-tool':
        return null;
      case 'worker-uncommitted':
      case 'messages-held':
        // Said as a warning on stderr at the end of the run.
        return null;
      case 'worker-exited':
        return `${who}agent exited (${event.signal ? `signal ${String(event.signal)}` : event.exitCode === null ? "exit code unknown: an adopted agent is not pw's child" : `exit ${String(event.exitCode)}`}); branch says ${String(event.state)}`;
      case 'worker-retry':
        return `${who}${String(event.category)}; attempt ${String(event.nextAttempt)} in ${formatDuration(Number(event.delayMs))}`;
      case 'worker-complete':
        return `${who}COMPLETE`;
      case 'worker-blocked':
        return `${who}BLOCKED: ${String(event.reason)}; not restarted`;
      case 'worker-failed':
        return `${who}failed: ${String(event.reason)}`;
      case 'worker-skipped':
        return `${who}skipped: ${String(event.reason)}`;
      case 'worker-waiting':
        return `${who}waiting again: ${String(event.reason)}`;
      case 'worker-stopping':
        return `${who}stopping the agent (${String(event.reason)}): SIGINT to its process group`;
      case 'worker-attached':
        return `${who}attached interactively (pw attach pid ${String(event.pid)}); not started while it lasts`;
      case 'worker-detached':
        return `${who}attach ended; its session is resumed here`;
      case 'worker-attach-stale':
        return `${who}ignored a stale attach marker (pw attach pid ${String(event.pid)}, gone)`;
      case 'notify-failed':
        return `could not queue a message pw owes a worker (${String(event.error)}); trying again in ${formatDuration(Number(event.retryInMs))}`;
      case 'run-interrupted':
        return `interrupted; stopped: ${(event.stopped as string[]).join(', ') || 'none'}. Resume with: ${String(event.resume)}`;
      case 'run-finished':
        return `finished: ${String(event.complete)}/${String(event.total)} complete${event.outcome === 'complete' ? '' : `; ${String(event.outcome)}`}`;
      case 'integrate':
        return `integrate: exit ${String(event.exitCode)}`;
      case 'run-error':
        // Printed on stderr as pw's error; the event is for --json.
        return null;
    }
  })();
  if (text === null) return null;
  return neutralize(`${event.time.slice(11, 19)} ${text}`);
}

export interface FrameWorker {
  id: string;
  phase: string;
  elapsedMs: number | null;
  attempts: number;
  lastCommit: string | null;
  tool: string | null;
  tokens: number | null;
  costUsd: number | null;
}

/** The live view: a header with k/n complete, then one line per worker, clipped to the terminal. */
export function renderRunFrame(
  plan: string,
  workers: readonly FrameWorker[],
  options: { width: number; color: boolean },
): string {
  const complete = workers.filter((w) => w.phase === 'complete').length;
  const width = Math.max(20, options.width);
  const paint = (phase: string, text: string): string => {
    if (!options.color) return text;
    const code =
      phase === 'complete'
        ? 32
        : phase === 'failed' || phase === 'blocked'
          ? 31
          : phase === 'running'
            ? 36
            : 2;
    return `\x1b[${code}m${text}\x1b[0m`;
  };
  const idWidth = Math.min(16, Math.max(...workers.map((w) => w.id.length), 2));
  const lines = [clip(`pw run ${plan}: ${complete}/${workers.length} complete`, width)];
  for (const w of workers) {
    const parts = [
      w.id.padEnd(idWidth),
      w.phase.padEnd(8),
      w.elapsedMs === null ? '' : formatDuration(w.elapsedMs),
      w.attempts ? `#${w.attempts}` : '',
      w.tokens !== null ? `${w.tokens} tok` : '',
      w.costUsd !== null ? `$${w.costUsd.toFixed(2)}` : '',
      w.tool ? `> ${w.tool}` : (w.lastCommit ?? ''),
    ].filter(Boolean);
    const line = clip(neutralize(parts.join('  ')), width);
    lines.push(paint(w.phase, line));
  }
  return `${lines.join('\n')}\n`;
}
