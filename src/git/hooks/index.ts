/**
 * The pw hooks: where their folders are (layout), what goes in them
 * (templates, roles), installing and removing them (install, hub), and
 * whether they run (inspect).
 */
export { currentHookRuntime, guardTablePath, workerHooksDir, mainHooksDir, hubHooksDir, INSTALL_RECORD } from './layout.js';
export type { HookRuntime, InstallRecord, Undo } from './layout.js';
export { expectedGuardTable, readHookTemplates } from './templates.js';
export { installMainHooks, installPushHooks, installWorkerHooks, uninstallPlanHooks } from './install.js';
export type { HookInstallContext, UninstallReport } from './install.js';
export { installHubHooks, uninstallHubHooks, readHubPlans } from './hub.js';
export { areWorkerHooksInstalled, inspectHubHooks, inspectPlanHooks, readEditedHookFiles } from './inspect.js';
export type { GuardHealth, HooksHealth, HooksState } from './inspect.js';
export { readHooksPath } from '../config.js';
