import { shQuote } from '../setup/shell-quote.js';

/**
 * The hook scripts pw writes, rendered from the sh templates in the package's
 * `hooks/` folder. Pure: the templates and every baked value come in as data,
 * so `pw hooks status` and `pw check` can render what SHOULD be on disk and
 * compare.
 */

/** Every hook git runs from a hooks folder (githooks(5)); pw puts one script per name in its folders so none of the user's hooks is lost. */
export const HOOK_NAMES = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'pre-receive',
  'update',
  'proc-receive',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'pre-auto-gc',
  'post-rewrite',
  'sendemail-validate',
  'post-index-change',
  'p4-changelist',
  'p4-prepare-changelist',
  'p4-post-changelist',
  'p4-pre-submit',
] as const;

export type HookName = (typeof HOOK_NAMES)[number];

/** The template bodies in `hooks/`, plus the shared `lib.sh`. */
export type TemplateName =
  | 'lib.sh'
  | 'pre-commit'
  | 'commit-msg'
  | 'reference-transaction'
  | 'pre-push'
  | 'pre-receive'
  | 'post-commit'
  | 'chain';

export const TEMPLATE_NAMES: readonly TemplateName[] = [
  'lib.sh',
  'pre-commit',
  'commit-msg',
  'reference-transaction',
  'pre-push',
  'pre-receive',
  'post-commit',
  'chain',
];

export type HookTemplates = Record<TemplateName, string>;

/**
 * Where a hooks folder is used: a worker worktree (scope and protocol), the
 * main worktree (guards worker branches only), or a hub (pre-receive).
 */
export type HooksRole = 'worker' | 'main' | 'hub';

export interface HookScriptValues {
  role: HooksRole;
  /** Plan name; '' for the main worktree and a hub, which guard every plan. */
  plan: string;
  /** Worker id; '' unless role is 'worker'. */
  worker: string;
  /** `<common dir>/pw`: where every plan's guard table lives. */
  root: string;
  /** The folder these scripts go to (never chained to itself). */
  self: string;
  /** The hooks folder in place before pw (may be relative to the worktree top), or null for none. */
  chain: string | null;
  /**
   * A relative `chain` as an absolute path in the main worktree, handed over
   * to when the worktree lacks the folder (husky's `.husky/_` before `npm
   * install` runs there); null for none.
   */
  chainMain?: string | null;
  node: string;
  bin: string;
  /** role 'worker': pathspecs that leave only the paths outside the scope. */
  excludes: readonly string[];
  /** role 'worker': the worker's branch (without refs/heads/); '' otherwise. */
  branch?: string;
  /** role 'worker': the plan's base branch; '' otherwise. */
  base?: string;
}

/**
 * A worker's checks that run only where the project has that hook too (so
 * its hook never runs on a commit pw refuses): the reference-transaction hook
 * judges what a commit stages (it runs for every commit, --no-verify too),
 * and a pre-commit hook, even an empty one, makes git read the whole index
 * once more on every commit, work that grows with the repository.
 */
const CHECKED_WHEN_CHAINED: readonly HookName[] = ['pre-commit', 'pre-merge-commit'];

/** Which template each hook name uses, per role. */
export function templateFor(role: HooksRole, hook: HookName): Exclude<TemplateName, 'lib.sh'> {
  if (role === 'worker') {
    if (hook === 'pre-commit' || hook === 'pre-merge-commit') return 'pre-commit';
    if (
      hook === 'commit-msg' ||
      hook === 'reference-transaction' ||
      hook === 'pre-push' ||
      hook === 'post-commit'
    )
      return hook;
    // A merge (git pull, or a provider's branch merged in) reaches the hub as a commit does.
    if (hook === 'post-merge') return 'post-commit';
    return 'chain';
  }
  if (role === 'main') {
    if (hook === 'reference-transaction' || hook === 'pre-push') return hook;
    return 'chain';
  }
  return hook === 'pre-receive' ? 'pre-receive' : 'chain';
}

/** Characters outside sh's [[:cntrl:]] that the fast path must hand to pw. */
const FAST_PATH_REFUSED: readonly string[] = [
  '\u2028',
  '\u2029',
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(0x80 + i)),
  ...Array.from({ length: 5 }, (_, i) => String.fromCharCode(0x202a + i)),
  ...Array.from({ length: 4 }, (_, i) => String.fromCharCode(0x2066 + i)),
];

/** A template without its shebang line (each generated script gets one). */
function body(template: string): string {
  return template.replace(/^#![^\n]*\n/, '');
}

/** One generated hook script: baked values, the shared lib, the hook's body. */
export function renderHookScript(
  templates: HookTemplates,
  values: HookScriptValues,
  hook: HookName,
): string {
  const template = templateFor(values.role, hook);
  const header = [
    '#!/bin/sh',
    `# pw ${hook} hook (${values.role === 'worker' ? `worker ${values.worker} of plan ${values.plan}` : `${values.role}`}).`,
    '# Generated by pw (pw setup / pw hooks install) from the templates in its hooks/ folder.',
    '# Do not edit: pw hooks status and pw check compare it with what pw writes; pw hooks uninstall removes it.',
    `PW_HOOK=${shQuote(hook)}`,
    `PW_PLAN=${shQuote(values.plan)}`,
    `PW_WORKER=${shQuote(values.worker)}`,
    `PW_ROOT=${shQuote(values.root)}`,
    `PW_SELF=${shQuote(values.self)}`,
    `PW_CHAIN=${shQuote(values.chain ?? '')}`,
    `PW_CHAIN_MAIN=${shQuote(values.chainMain ?? '')}`,
    `PW_NODE=${shQuote(values.node)}`,
    `PW_BIN=${shQuote(values.bin)}`,
  ].join('\n');
  const filled = body(templates[template])
    .replaceAll('@EXCLUDES@', values.excludes.map(shQuote).join(' '))
    .replaceAll('@OWN_REF@', shQuote(values.branch ? `refs/heads/${values.branch}` : ''))
    .replaceAll('@OWN_BASE@', shQuote(values.base ?? ''))
    // JavaScript's "." stops at U+2028 and U+2029, and pw refuses C1 controls and
    // bidi overrides: sh's [[:cntrl:]] sees neither in UTF-8, so each is listed.
    .replaceAll('@LINE_SEPARATORS@', FAST_PATH_REFUSED.map(shQuote).join('* | *'));
  return `${header}\n${body(templates['lib.sh'])}\n${filled}`;
}

/**
 * A worker's hooks that only push its branch to a hub: installed where the
 * worker pushes (pw join, pw publish) or the project has that hook too. Every
 * hook git starts costs a commit a process (5-7 ms on a small repository,
 * more where the index is large).
 */
const PUSHED_ONLY: readonly HookName[] = ['post-commit', 'post-merge'];

/**
 * The hooks a role always has, to check something in (the rest only hand
 * over; a worker's pre-commit checks too, but is there only to go before the
 * project's own; its post-commit and post-merge push, where it pushes).
 */
export function ownHooks(role: HooksRole, pushes = false): HookName[] {
  return HOOK_NAMES.filter(
    (hook) =>
      templateFor(role, hook) !== 'chain' &&
      !(role === 'worker' && CHECKED_WHEN_CHAINED.includes(hook)) &&
      !(role === 'worker' && !pushes && PUSHED_ONLY.includes(hook)),
  );
}

/**
 * The hooks a folder needs: pw's own, plus one that only hands over for each
 * hook the previous folder has (`chained`; null when it cannot be listed, e.g.
 * husky's folder before `npm install` ran in that worktree: then every name).
 * A hook process costs about a millisecond, so none is started for nothing.
 */
export function hooksToInstall(
  role: HooksRole,
  chained: readonly string[] | null,
  /** A worker whose commits are pushed to a hub (its push.conf exists). */
  pushes = false,
): HookName[] {
  const own = new Set<string>(ownHooks(role, pushes));
  return HOOK_NAMES.filter((hook) => own.has(hook) || chained === null || chained.includes(hook));
}

/** The scripts of a hooks folder, by hook name. */
export function renderHookScripts(
  templates: HookTemplates,
  values: HookScriptValues,
  hooks: readonly HookName[] = HOOK_NAMES,
): Map<HookName, string> {
  return new Map(hooks.map((hook) => [hook, renderHookScript(templates, values, hook)]));
}

export interface GuardWorker {
  id: string;
  branch: string;
  excludes: readonly string[];
}

/**
 * A plan's guard table, sourced by the reference-transaction, pre-push and
 * pre-receive hooks of every worktree: for a worker branch in `$pw_ref` it
 * calls `pw_hit <plan> <worker> <base> <exclude pathspecs...>`. It also
 * defines `pw_is_worker <id>` for the commit-msg hook's NEEDS check.
 */
export function renderGuardTable(plan: {
  name: string;
  base: string;
  workers: readonly GuardWorker[];
}): string {
  const lines = [
    `# pw guard table of plan ${plan.name}: which refs are worker branches, and each worker's scope.`,
    '# Generated by pw; sourced by the pw hooks. Do not edit: pw check compares it with what pw writes.',
    `pw_is_worker() { case $1 in ${plan.workers.map((w) => shQuote(w.id)).join(' | ')}) return 0 ;; esac; return 1; }`,
    'case $pw_ref in',
  ];
  for (const worker of plan.workers) {
    const args = [plan.name, worker.id, plan.base, ...worker.excludes].map(shQuote).join(' ');
    lines.push(`  ${shQuote(`refs/heads/${worker.branch}`)}) pw_hit ${args} ;;`);
  }
  lines.push('esac', '');
  return lines.join('\n');
}
