import { escapeTerminal } from '../text/terminal-text.js';
import { didYouMean } from './did-you-mean.js';

/**
 * What to say of worker ids a command was given that plan `plan` does not
 * have: each escaped for the terminal, a "did you mean" where one is close,
 * and the plan's workers. `given` names where the ids came from ("--only"),
 * or null for a command's worker argument. Pure.
 */
export function describeUnknownWorkers(
  plan: string,
  ids: readonly string[],
  unknown: readonly string[],
  given: string | null = null,
): { message: string; details: string[] } {
  const shown = unknown.map((id) => `"${escapeTerminal(id)}"`).join(', ');
  return {
    message: given
      ? `${given} names ${unknown.length === 1 ? 'a worker' : 'workers'} not in plan ${plan}: ${shown}`
      : `${shown} ${unknown.length === 1 ? 'is not a worker' : 'are not workers'} of plan ${plan}`,
    details: [
      ...unknown.flatMap((id) => {
        const hint = didYouMean(id, ids);
        return hint ? [`${escapeTerminal(id)}: did you mean "${hint}"?`] : [];
      }),
      `Workers: ${ids.join(', ')}.`,
    ],
  };
}
