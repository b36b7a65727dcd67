import type { SetupAction } from '../../domain/setup/plan-setup.js';

/**
 * Fault injection for the rollback tests: with PW_TEST_FAIL_AT=<action kind>
 * (or <kind>:<worker>), setup fails just before that action, as if it had
 * failed there; with `kill:` in front, the process is killed there instead
 * (SIGKILL: no rollback runs, as when the machine goes down). Unset, nothing happens.
 */
export function failureInjector(env: NodeJS.ProcessEnv): (action: SetupAction) => void {
  const setting = env.PW_TEST_FAIL_AT;
  if (!setting) return () => {};
  const kill = setting.startsWith('kill:');
  const failAt = kill ? setting.slice('kill:'.length) : setting;
  return (action) => {
    if (
      failAt === action.kind ||
      failAt === `${action.kind}:${'worker' in action ? action.worker : ''}`
    ) {
      if (kill) process.kill(process.pid, 'SIGKILL');
      throw new Error(`injected failure at ${failAt} (PW_TEST_FAIL_AT)`);
    }
  };
}
