import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { loadConfig } from '../config/load-config.js';
import { resolvePlan } from '../config/read-plan.js';
import {
  findDirectoryOwners,
  findOwners,
  type OwnerAnswer,
  type OwnerWorker,
} from '../domain/scope/ownership.js';
import { escapeTerminal } from '../domain/text/terminal-text.js';
import { listTrackedFiles, readRepoInfo, type RepoInfo } from '../git/repo.js';
import { chooseDefaultPlan } from './active-plan.js';
import { readActivePlans } from '../store/trusted-store.js';
import { renderColumns } from '../render/table.js';

export interface OwnerOptions {
  paths: string[];
  plan?: string;
  json?: boolean;
}

/** The plan to answer from: the file given, else the plan set up here, else the config's plan. */
async function readOwnerPlan(
  options: OwnerOptions,
  deps: CommandDeps,
  repo: RepoInfo,
): Promise<{ name: string; workers: OwnerWorker[] }> {
  const config = await loadConfig(repo.mainWorktree);
  const setUp = await readActivePlans(repo.commonDir);
  if (options.plan) {
    const byName = setUp.find((p) => p.name === options.plan);
    if (byName) return byName;
    return (await resolvePlan(options.plan, deps.cwd, config)).plan;
  }
  if (setUp.length) return chooseDefaultPlan(setUp, repo);
  return (await resolvePlan(undefined, deps.cwd, config)).plan;
}

export async function runOwner(options: OwnerOptions, deps: CommandDeps): Promise<CommandResult> {
  const repo = await readRepoInfo(deps.cwd);
  const plan = await readOwnerPlan(options, deps, repo);
  // Paths typed inside a worker worktree are relative to that worktree's top.
  const place = { cwd: deps.cwd, repoRoot: repo.topLevel };
  const found = findOwners(options.paths, plan.workers, {
    cwd: deps.cwd,
    repoRoot: repo.topLevel,
  });
  const directories = await Promise.all(
    options.paths.map((input) => isDirectoryInput(input, deps.cwd)),
  );
  const tracked = directories.some(Boolean) ? await listTrackedFiles(repo.topLevel) : [];
  const answers = found.map((answer, index) =>
    directories[index] ? findDirectoryOwners(answer, tracked, plan.workers, place) : answer,
  );
  const outside = answers.filter((a) => a.path === null);
  if (options.json) {
    deps.stdout(`${JSON.stringify({ plan: plan.name, paths: answers }, null, 2)}\n`);
  } else {
    const rows = answers.map((a) => [
      escapeTerminal(a.path ?? a.input),
      a.path === null
        ? 'outside the repository'
        : a.directory
          ? describeDirectory(a.directory)
          : a.owner
            ? `${a.owner}  (${a.pattern})`
            : 'nobody (read-only for every worker)',
    ]);
    deps.stdout(`${renderColumns(rows, '')}\n`);
  }
  if (outside.length) {
    deps.stderr(
      `pw: ${outside.length} path${outside.length === 1 ? ' lies' : 's lie'} outside the repository ${repo.topLevel}: ${outside.map((a) => escapeTerminal(a.input)).join(', ')}\n  Give paths inside the repository, relative to ${relative(deps.cwd, repo.topLevel) || '.'} or absolute.\n`,
    );
    return { exitCode: 2 };
  }
  return { exitCode: 0 };
}

/** A path typed with a trailing slash, or naming a directory that exists. */
async function isDirectoryInput(input: string, cwd: string): Promise<boolean> {
  if (input.endsWith('/')) return true;
  return stat(resolve(cwd, input)).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

function describeDirectory(directory: NonNullable<OwnerAnswer['directory']>): string {
  const name = (worker: string | null) => worker ?? 'nobody';
  if (directory.files === 0) {
    return `no tracked files yet; a new file here: ${name(directory.owners[0]?.worker ?? null)}`;
  }
  if (directory.owners.length === 1) {
    const only = directory.owners[0]!;
    return `${name(only.worker)} (all ${only.files} tracked file${only.files === 1 ? '' : 's'})`;
  }
  return `several owners: ${directory.owners.map((o) => `${name(o.worker)} (${o.files})`).join(', ')}`;
}
