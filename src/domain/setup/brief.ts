import type { CompiledPlan, CompiledWorker } from '../plan/plan.js';
import { renderTemplate } from './render-template.js';
import { shQuote } from './shell-quote.js';

export const BRIEF_FILE = 'WORKER.md';

/**
 * The longest brief the launch script can hand over: it is one argument of
 * the agent's command line, and Linux caps one argument at 32 pages
 * (MAX_ARG_STRLEN, 131072 bytes) counting its terminating NUL (execve(2)).
 */
export const MAX_BRIEF_BYTES = 131_071;

function bulletList(items: readonly string[]): string {
  return items.map((item) => `- \`${item.replace(/`/g, '\\`')}\``).join('\n');
}

const OWNS_NOTHING =
  '- (none: you only read and report; every commit of yours is a status commit, `git commit --allow-empty -m "..."`)';

/** The worker's brief: task, owned paths, what others own, dependencies, and the protocol. */
export function renderBrief(template: string, plan: CompiledPlan, worker: CompiledWorker): string {
  const others = plan.workers.filter((w) => w.id !== worker.id);
  const dependents = plan.workers.filter((w) => w.dependsOn.includes(worker.id)).map((w) => w.id);
  const dependencies = [
    worker.dependsOn.length
      ? `You depend on: ${worker.dependsOn.map((id) => `\`${id}\``).join(', ')}. Their work is merged before yours at integration; if you need something from them now, say so with \`[NEEDS:<worker>/<item>]\`.`
      : 'You depend on no other worker.',
    dependents.length
      ? `Waiting on you: ${dependents.map((id) => `\`${id}\``).join(', ')}. Deliver what they need early and mark it with a \`Provides: <item>\` trailer.`
      : 'No other worker depends on you.',
  ].join('\n\n');
  const exampleOther = others[0]?.id ?? 'other-worker';
  return renderTemplate(template, {
    worker: worker.id,
    plan: plan.name,
    workerCount: String(plan.workers.length),
    worktree: worker.worktree,
    branch: worker.branch,
    base: plan.base,
    task: worker.task.trim(),
    owns: worker.owns.length ? bulletList(worker.owns) : OWNS_NOTHING,
    others: others.length
      ? others
          .map(
            (w) =>
              `- \`${w.id}\`: ${w.owns.length ? w.owns.map((o) => `\`${o.replace(/`/g, '\\`')}\``).join(', ') : '(owns nothing)'}`,
          )
          .join('\n')
      : '- (no other workers)',
    dependencies,
    workerIds: plan.workers.map((w) => w.id).join(', '),
    exampleOther,
    exampleItem: 'the-thing-you-need',
    exampleSubject: `progress on ${worker.id}`,
    exampleComplete: 'what you delivered, in one line',
    context: plan.context ? `\n## Context for every worker\n\n${plan.context}\n` : '',
  });
}

/** The launch script: starts the agent command in the worktree with the brief as its last argument. */
export function renderLaunchScript(
  template: string,
  plan: CompiledPlan,
  worker: CompiledWorker,
  briefPath: string,
): string {
  return renderTemplate(template, {
    plan: plan.name,
    worker: worker.id,
    planQ: shQuote(plan.name),
    workerQ: shQuote(worker.id),
    worktreeQ: shQuote(worker.worktree),
    briefQ: shQuote(briefPath),
    agentQ: shQuote(worker.agentCommand),
  });
}
