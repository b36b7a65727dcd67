import type { TrustProblem } from '../../domain/plan/trust-check.js';

/** A command or hook refusing because trusted files were edited: what, where, and the repair. */
export function renderTrustRefusal(
  command: string,
  plan: string,
  problems: readonly TrustProblem[],
): { message: string; details: string[] } {
  const files = [...new Set(problems.map((p) => p.file))];
  return {
    message: `${command} refuses: the trusted copies of plan "${plan}" were edited since setup (${files.join(', ')})`,
    details: [
      ...problems.map((p) => `${p.file}: ${p.problem}`),
      `Repair them from what setup recorded: pw hooks install --plan ${plan}; then see what got past with: pw check --plan ${plan}`,
    ],
  };
}

/** The same for the hooks, on stderr. */
export function renderTrustHookRefusal(
  hook: string,
  plan: string,
  problems: readonly TrustProblem[],
): string {
  const { message, details } = renderTrustRefusal(`pw: the ${hook} hook`, plan, problems);
  return `${message}.\n${details.map((d) => `  ${d}\n`).join('')}  Nothing was changed.\n`;
}
