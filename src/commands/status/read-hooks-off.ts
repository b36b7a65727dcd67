import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CompiledPlan, CompiledWorker } from '../../domain/plan/plan.js';
import {
  currentHookRuntime,
  inspectPlanHooks,
  workerHooksDir,
  type HooksState,
} from '../../git/hooks/index.js';
import { listConfigFiles } from '../../git/config.js';
import { planDir, readTextIfExists, writeFileAtomic } from '../../store/trusted-store.js';
import { statusCacheKey } from '../../store/status-cache.js';
import { readGitDir } from '../../git/worktree-signature.js';

interface HooksCache {
  key: string;
  workers: Record<string, { signature: string; state: HooksState }>;
}

/**
 * Whether each present worker worktree has its hooks switched off, as
 * `pw hooks status` judges it (inspectPlanHooks: core.hooksPath pointing
 * elsewhere, scripts missing or not executable, or not installed).
 *
 * That inspection runs git config twice per worktree, which for 50 worktrees
 * is most of what `pw status` costs. So its verdict is kept per worktree under
 * a signature of the files the "off" verdict depends on (every git config
 * file git reads there, includes followed, the worktree's hooks folder with each entry's
 * mode, size and times, the pw runtime), and inspected again only when one of
 * them changed. Switching hooks off always changes one of them.
 */
export async function readHooksOff(
  commonDir: string,
  plan: CompiledPlan,
  workers: readonly CompiledWorker[],
  env: NodeJS.ProcessEnv,
  /** `workers` are some of the plan's only: the verdicts kept for the others stay. */
  keepOthers = false,
): Promise<Map<string, boolean | null>> {
  const out = new Map<string, boolean | null>();
  if (workers.length === 0) return out;
  const path = join(planDir(commonDir, plan.name), 'cache', 'hooks.json');
  const shared = await sharedSignature(commonDir, env);
  const home = env.HOME ?? homedir();
  const signatures = await Promise.all(
    workers.map((w) => workerSignature(commonDir, plan, w, home)),
  );
  const cached = await readCache(path);
  const key = statusCacheKey({ shared, runtime: currentHookRuntime() });
  const known = cached?.key === key ? cached.workers : {};
  const states = new Map<string, HooksState>();
  const stale: string[] = [];
  workers.forEach((w, i) => {
    const hit = known[w.id];
    if (hit && hit.signature === signatures[i]) states.set(w.id, hit.state);
    else stale.push(w.id);
  });
  if (stale.length) {
    const { workers: health } = await inspectPlanHooks(commonDir, plan, { workers: stale });
    for (const h of health) if (h.worker) states.set(h.worker, h.state);
    const asked = new Set(workers.map((w) => w.id));
    const next: HooksCache = {
      key,
      workers: keepOthers
        ? Object.fromEntries(Object.entries(known).filter(([id]) => !asked.has(id)))
        : {},
    };
    workers.forEach((w, i) => {
      const state = states.get(w.id);
      if (state) next.workers[w.id] = { signature: signatures[i]!, state };
    });
    await writeFileAtomic(path, JSON.stringify(next)).catch(() => undefined);
  }
  for (const w of workers) {
    const state = states.get(w.id);
    out.set(
      w.id,
      state === undefined || state === 'no-worktree'
        ? null
        : state === 'off' || state === 'not-installed',
    );
  }
  return out;
}

async function readCache(path: string): Promise<HooksCache | null> {
  const text = await readTextIfExists(path).catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as HooksCache;
  } catch {
    return null;
  }
}

// Synchronous on purpose: a few hundred lstat calls, each a few µs, cost far
// less inline than through the thread pool (measured: ~20 ms async for 50 worktrees).
function statLine(path: string): string {
  try {
    const s = lstatSync(path);
    return `${path}:${s.mode}:${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}`;
  } catch {
    return `${path}:-`;
  }
}

function folderLines(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [`${dir}:-`];
  }
  return [statLine(dir), ...names.map((n) => statLine(join(dir, n)))];
}

/**
 * Config files every worktree reads: the standard files even while they are
 * absent (git-config(1), FILES), since creating one can switch hooks off too,
 * and, when one of them mentions an include, the files git reports reading
 * here with the targets of its include and includeIf directives (asked of
 * git, so includes count). Without an include, git reads the standard files
 * alone, and asking would only cost a process on every refresh.
 */
async function sharedSignature(commonDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const home = env.HOME ?? homedir();
  const xdg = env.XDG_CONFIG_HOME ?? join(home, '.config');
  const standard = [
    join(commonDir, 'config'),
    join(commonDir, 'config.worktree'),
    env.GIT_CONFIG_GLOBAL ?? join(home, '.gitconfig'),
    join(xdg, 'git', 'config'),
    env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig',
  ];
  const includes = standard.some((file) => /include/i.test(readTextIfPresent(file)));
  const files = includes
    ? [...new Set([...standard, ...(await listConfigFiles(commonDir, home))])]
    : standard;
  const vars = Object.keys(env)
    .filter((name) => name.startsWith('GIT_CONFIG'))
    .sort()
    .map((name) => `${name}=${env[name]}`);
  return [...vars, ...files.map(statLine)];
}

/** The worktree's own config file (and what it includes) and its pw hooks folder. */
async function workerSignature(
  commonDir: string,
  plan: CompiledPlan,
  worker: CompiledWorker,
  home: string,
): Promise<string> {
  const gitFile = join(worker.worktree, '.git');
  // Where .git names no git dir, its own stat line says so.
  const worktreeConfig = join(readGitDir(worker.worktree) ?? gitFile, 'config.worktree');
  return statusCacheKey([
    statLine(gitFile),
    statLine(worktreeConfig),
    ...(await includedFiles(worktreeConfig, home)).map(statLine),
    ...folderLines(workerHooksDir(commonDir, plan.name, worker.id)),
  ]);
}

/** What a worktree's config file includes, asked of git; only a file that mentions an include costs a git call. */
async function includedFiles(file: string, home: string): Promise<string[]> {
  if (!/include/i.test(readTextIfPresent(file))) return [];
  return listConfigFiles(dirname(file), home, file);
}

/** A config file's text; empty when it cannot be read (absent, or a folder). */
function readTextIfPresent(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
