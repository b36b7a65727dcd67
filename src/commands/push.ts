import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { EnvironmentError, FailedError, UsageError } from '../errors.js';
import { readConfig } from '../git/config.js';
import { pushToHub } from '../git/hub-remote.js';
import { listRefs } from '../git/repo.js';
import { clearPushFailure, readHubRecord, readPushConf } from '../store/hub-record.js';
import { loadActivePlan } from './active-plan.js';
import { chooseHub } from './publish.js';

/**
 * `pw push`: sends worker branches to the hub now, as the post-commit hook
 * does in the background: the worker of the worktree it runs in, the one
 * named, or every worker of the plan whose commits this machine pushes.
 */

export interface PushOptions {
  plan?: string;
  worker?: string;
  hub?: string;
  json?: boolean;
}

interface Pushed {
  worker: string;
  branch: string;
  hub: string;
  commit: string;
}

export async function runPush(options: PushOptions, deps: CommandDeps): Promise<CommandResult> {
  const { repo, plan } = await loadActivePlan(deps.cwd, options.plan);
  const here = await readConfig(deps.cwd, 'pw.worker', 'worktree').catch(() => null);
  const record = await readHubRecord(repo.commonDir, plan.name);
  const requested =
    options.worker ?? (here && plan.workers.some((w) => w.id === here) ? here : null);
  let ids: string[];
  if (requested !== null) {
    if (!plan.workers.some((w) => w.id === requested)) {
      throw new UsageError(`plan "${plan.name}" has no worker "${requested}"`, [
        `Workers: ${plan.workers.map((w) => w.id).join(', ')}`,
      ]);
    }
    ids = [requested];
  } else if (record?.role === 'joined' && record.worker) {
    ids = [record.worker];
  } else {
    ids = [];
    for (const worker of plan.workers)
      if (await readPushConf(repo.commonDir, plan.name, worker.id)) ids.push(worker.id);
    if (ids.length === 0) {
      throw new UsageError(`no worker of plan "${plan.name}" pushes its commits from here`, [
        "Name one: pw push --worker <id> [--hub <remote>], or run it in the worker's worktree.",
      ]);
    }
  }
  const tips = await listRefs(
    repo.mainWorktree,
    plan.workers.map((w) => `refs/heads/${w.branch}`),
  );
  const pushed: Pushed[] = [];
  for (const id of ids) {
    const worker = plan.workers.find((w) => w.id === id)!;
    const conf = await readPushConf(repo.commonDir, plan.name, id);
    const hub =
      options.hub ?? conf?.hub ?? (await chooseHub(repo.mainWorktree, undefined, 'pw push'));
    const commit = tips.get(`refs/heads/${worker.branch}`);
    if (!commit) {
      throw new FailedError(`worker ${id} has no branch ${worker.branch} here to push`, [
        'Push from the machine where the worker runs (pw join made its branch there).',
      ]);
    }
    const ref = `refs/heads/${worker.branch}`;
    const refusal = await pushToHub(repo.mainWorktree, hub, [`${ref}:${ref}`]);
    if (refusal) {
      // git's words and the refusing hook's (its paths and owners), without git's generic hints.
      const lines = refusal.message
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith('hint:'))
        .slice(-24);
      if (refusal.unreachable) {
        throw new EnvironmentError(
          `could not reach the hub ${hub} to push ${worker.branch} (offline?)`,
          [
            ...lines,
            'Nothing is lost: the commits stay on the branch here. Run pw push again once the hub is reachable.',
          ],
        );
      }
      const behind = /non-fast-forward|fetch first|rejected/.test(refusal.message);
      throw new FailedError(`the hub ${hub} refused ${worker.branch}`, [
        ...lines,
        behind
          ? `The hub's ${worker.branch} has commits this one lacks: merge them (git pull in the worktree), then pw push.`
          : 'Fix what the hub names (pw check shows it here), then pw push.',
      ]);
    }
    await clearPushFailure(repo.commonDir, plan.name, id);
    pushed.push({ worker: id, branch: worker.branch, hub, commit });
  }
  if (options.json) deps.stdout(`${JSON.stringify({ plan: plan.name, pushed }, null, 2)}\n`);
  else {
    for (const p of pushed)
      deps.stdout(`Pushed ${p.branch} (${p.commit.slice(0, 12)}) to the hub ${p.hub}.\n`);
  }
  return { exitCode: 0 };
}
