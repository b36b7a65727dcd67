import { archivePrefix, isArchiveRef } from '../git/archive.js';
import { listCommitsReachable, listRefs, resolveCommit } from '../git/repo.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { computeRetro, type HistorySource, type Retro } from '../domain/retro/retro.js';
import {
  renderRetroMessages,
  summarizeMessages,
  type RetroMessages,
} from '../domain/retro/messages.js';
import { UsageError } from '../errors.js';
import { readCommitFileStats } from '../git/commit-file-stats.js';
import { fetchForRead, resolveHubRead, type FetchRequest } from '../git/fetch-workers.js';
import { readWorkerHistories } from '../git/worker-history.js';
import { readWorkerTips } from '../git/worker-tips.js';
import { renderRetroHtml } from '../render/retro/html.js';
import { renderRetroMarkdown } from '../render/retro/markdown.js';
import { renderRetroSvg } from '../render/retro/svg.js';
import { readEvents } from '../store/trusted-store.js';
import { loadActivePlan } from './active-plan.js';

export interface RetroOptions {
  plan?: string;
  out?: string;
  json?: boolean;
  svg?: string;
  html?: string;
  fetch?: FetchRequest;
}

export interface RetroFiles {
  markdown: string | null;
  svg: string | null;
  html: string | null;
}

/** Reads one snapshot (plan, histories, file stats, events) and computes the retrospective. */
export async function readRetro(
  cwd: string,
  planArg: string | undefined,
  now: Date,
  fetch: FetchRequest = false,
  onNote: (note: string) => void = () => {},
): Promise<Retro> {
  const { repo, plan } = await loadActivePlan(cwd, planArg, { includeTornDown: true });
  const hubRead = await resolveHubRead(repo.topLevel, fetch);
  const fetched = await fetchForRead(repo.topLevel, plan, hubRead);
  [...fetched.warnings.map((w) => `pw: ${w}`), ...fetched.notes].forEach(onNote);
  const tips = await readWorkerTips(repo.topLevel, plan, hubRead.hub);
  const [histories, fileStats, events] = await Promise.all([
    readWorkerHistories(repo.topLevel, plan, tips),
    readCommitFileStats(repo.topLevel, plan, tips),
    readEvents(repo.commonDir, plan.name),
  ]);
  const sources = new Map<string, HistorySource>(
    plan.workers.map((w) => {
      const tip = tips.get(w.id);
      return [w.id, !tip ? 'none' : isArchiveRef(tip.ref) ? 'archive' : 'branch'];
    }),
  );
  // Commits on a worker branch, an archive or the target: violations in others were reset away.
  const target = await resolveCommit(repo.topLevel, `refs/heads/${plan.target}`);
  const archives = await listRefs(repo.topLevel, archivePrefix(plan.name));
  const starts = [...tips.values()].map((t) => t.sha).concat([...archives.values()]);
  if (target) starts.push(target);
  const reachable = new Set(
    await listCommitsReachable(repo.topLevel, [...new Set(starts)], plan.baseCommit),
  );
  return computeRetro({
    plan,
    histories,
    sources,
    events,
    fileStats,
    now: now.getTime(),
    reachable,
  });
}

/** The messages sent to workers, from the events log (and the histories, for the delays). */
async function readRetroMessages(cwd: string, planArg: string | undefined): Promise<RetroMessages> {
  const { repo, plan } = await loadActivePlan(cwd, planArg, { includeTornDown: true });
  const events = await readEvents(repo.commonDir, plan.name);
  if (!events.some((e) => e.type === 'message-queued')) return summarizeMessages([], new Map());
  const tips = await readWorkerTips(
    repo.topLevel,
    plan,
    (await resolveHubRead(repo.topLevel, false)).hub,
  );
  return summarizeMessages(events, await readWorkerHistories(repo.topLevel, plan, tips));
}

/** A path as the report links it: relative to the report's folder, with '/' separators. */
function linkFrom(reportFile: string, target: string): string {
  return relative(dirname(reportFile), target).split(sep).join('/');
}

async function writeOutput(path: string, content: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`, [
      'Choose a path in a folder you can write to.',
    ]);
  }
}

/**
 * `pw retro`: the retrospective of a plan, mid-flight, after integrate or
 * after teardown. Markdown to stdout when no output is asked for, or to a
 * file (--out); every figure with --json; the timeline as SVG (--svg) or
 * report and picture in one page (--html). With file outputs, stdout says
 * only where they are.
 */
export async function runRetro(options: RetroOptions, deps: CommandDeps): Promise<CommandResult> {
  const retro = await readRetro(deps.cwd, options.plan, deps.now(), options.fetch, (note) =>
    deps.stderr(`${note}\n`),
  );
  const messages = await readRetroMessages(deps.cwd, options.plan);
  // Attempts, retries and cost of the agents `pw run` ran, when it ran them.
  const { readRunRetro } = await import('./run/read-run-retro.js');
  const run = await readRunRetro(deps.cwd, retro.plan, retro.tornDownAt !== null);
  const markdown = (opts?: Parameters<typeof renderRetroMarkdown>[1]): string =>
    renderRetroMarkdown(retro, opts) + renderRetroMessages(messages) + (run?.markdown ?? '');
  const files: RetroFiles = {
    markdown: options.out ? resolve(deps.cwd, options.out) : null,
    svg: options.svg ? resolve(deps.cwd, options.svg) : null,
    html: options.html ? resolve(deps.cwd, options.html) : null,
  };
  const distinct = [files.markdown, files.svg, files.html].filter((f): f is string => f !== null);
  if (new Set(distinct).size !== distinct.length) {
    throw new UsageError('--out, --svg and --html name the same file', [
      'Give each output its own path, e.g. --out retro.md --svg retro.svg --html retro.html.',
    ]);
  }

  const svg = files.svg || files.html ? renderRetroSvg(retro) : null;
  if (files.svg) await writeOutput(files.svg, svg!);
  if (files.html) await writeOutput(files.html, renderRetroHtml(retro, svg!));
  if (files.markdown) {
    const svgHref = files.svg ? linkFrom(files.markdown, files.svg) : null;
    await writeOutput(files.markdown, markdown({ svgHref }));
  }

  if (options.json) {
    deps.stdout(
      `${JSON.stringify({ ...retro, messages, ...(run ? { run: run.report } : {}), files }, null, 2)}\n`,
    );
    return { exitCode: 0 };
  }
  const written = [
    files.markdown && `report    ${files.markdown}`,
    files.svg && `timeline  ${files.svg}`,
    files.html && `page      ${files.html}`,
  ].filter((line): line is string => Boolean(line));
  // The report goes to stdout only when no output was asked for; otherwise just where the files are.
  if (written.length === 0) deps.stdout(markdown());
  else
    deps.stdout(
      `Retrospective of ${retro.plan} written:\n${written.map((l) => `  ${l}`).join('\n')}\n`,
    );
  return { exitCode: 0 };
}
