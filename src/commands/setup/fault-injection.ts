import type { SetupAction } from '../../domain/setup/plan-setup.js';

/**
 * Fault injection for the rollback tests: with PW_TEST_FAIL_AT=<action kind>
 * (or <kind>:<worker>), setup fails just before that action, as if it had
 * failed there. Unset, nothing happens.
 */
export function failureInjector(env: NodeJS.ProcessEnv): (action: SetupAction) => void {
  const failAt = env.PW_TEST_FAIL_AT;
  if (!failAt) return () => {};
  return (action) => {
    if (
      failAt === action.kind ||
      failAt === `${action.kind}:${'worker' in action ? action.worker : ''}`
    )
      throw new Error(`injected failure at ${failAt} (PW_TEST_FAIL_AT)`);
  };
}
