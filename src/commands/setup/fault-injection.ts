import { actionWorkers, type SetupAction } from '../../domain/setup/plan-setup.js';

export interface BeforeAction {
  (action: SetupAction): void | Promise<void>;
  /**
   * Whether the injection is set for this action. Setup adds worktrees side
   * by side; it starts a new batch at such an action, so every step before it
   * has ended when it fails there, as in a setup that runs one step at a time.
   */
  targets?: (action: SetupAction) => boolean;
}

/**
 * Fault injection for the rollback tests: with PW_TEST_FAIL_AT=<action kind>
 * (or <kind>:<worker>, for an action about several workers any one of them),
 * setup fails just before that action, as if it had failed there; with
 * `kill:` in front, the process is killed there instead (SIGKILL: no rollback
 * runs, as when the machine goes down); with `SIGINT:` or `SIGTERM:` in front,
 * the process sends itself that signal there and goes on once it has been
 * noticed (`interrupted`), as when the user presses Ctrl-C at that moment;
 * with `SIGINT2:`, it sends a second SIGINT once the first is noticed, which
 * lands while setup rolls back (Ctrl-C pressed twice). Unset, nothing happens.
 */
export function failureInjector(env: NodeJS.ProcessEnv, interrupted: Promise<void>): BeforeAction {
  const setting = env.PW_TEST_FAIL_AT;
  if (!setting) return () => {};
  const mode = /^(kill|SIGINT2|SIGINT|SIGTERM):/.exec(setting)?.[1] ?? null;
  const failAt = mode ? setting.slice(mode.length + 1) : setting;
  const targets = (action: SetupAction): boolean =>
    failAt === action.kind ||
    actionWorkers(action).some((worker) => failAt === `${action.kind}:${worker}`);
  const inject: BeforeAction = (action) => {
    if (!targets(action)) return;
    if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
    if (mode === 'SIGINT' || mode === 'SIGTERM' || mode === 'SIGINT2') {
      // A signal listener does not keep Node's event loop alive: a timer does, until it is seen.
      const alive = setInterval(() => {}, 1000);
      process.kill(process.pid, mode === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
      return interrupted.finally(() => {
        clearInterval(alive);
        if (mode === 'SIGINT2') process.kill(process.pid, 'SIGINT');
      });
    }
    throw new Error(`injected failure at ${failAt} (PW_TEST_FAIL_AT)`);
  };
  inject.targets = targets;
  return inject;
}
