import type { CompiledPlan, CompiledWorker } from '../plan/plan.js';
import { renderTemplate } from './render-template.js';
import { AGENT_PLACEHOLDER, splitCommandLine } from '../text/command-line.js';
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
      ? `You depend on: ${worker.dependsOn.map((id) => `\`${id}\``).join(', ')}. Their work is merged before yours at integration; if you need something from them now, say so with \`[NEEDS:<worker>/<item>]\`. To build on their work, merge their branch once it says [COMPLETE]: ${worker.dependsOn.map((id) => `\`git merge ${plan.workers.find((w) => w.id === id)?.branch ?? id}\``).join(', ')} (\`pw run\` does this before it starts you).`
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

const BRIEF_TEXT = '"$(cat "$PW_BRIEF")"';

/**
 * The launch script's last line. A command with `{brief}`, `{worktree}` (or
 * `{session}`, empty here: a person's terminal starts a new session) is
 * split as `pw run` splits it and run without a shell, each placeholder
 * standing where the command puts it; the brief goes last when `{brief}` is
 * not there. Any other command runs through sh, as typed, with the brief as
 * its last argument.
 */
function launchLine(agentCommand: string): string {
  if (agentCommand.search(AGENT_PLACEHOLDER) >= 0) {
    let words: string[] | null;
    try {
      words = splitCommandLine(agentCommand);
    } catch {
      words = null;
    }
    if (words?.length) {
      let usesBrief = false;
      const sh = words.map((word) => {
        const parts: string[] = [];
        let at = 0;
        for (const match of word.matchAll(AGENT_PLACEHOLDER)) {
          if (match.index > at) parts.push(shQuote(word.slice(at, match.index)));
          const key = match[1]!;
          if (key === 'brief' || key === 'prompt') usesBrief = true;
          parts.push(key === 'worktree' ? '"$PW_WORKTREE"' : key === 'session' ? "''" : BRIEF_TEXT);
          at = match.index + match[0].length;
        }
        if (at < word.length || parts.length === 0) parts.push(shQuote(word.slice(at)));
        return parts.join('');
      });
      return `exec ${sh.join(' ')}${usesBrief ? '' : ` ${BRIEF_TEXT}`}`;
    }
  }
  return `exec /bin/sh -c ${shQuote(agentCommand)}' "$@"' pw-agent ${BRIEF_TEXT}`;
}

/**
 * The launch script: starts the agent command in the worktree with the brief
 * as its last argument, or where the command's `{brief}` says.
 */
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
    exec: launchLine(worker.agentCommand),
  });
}
