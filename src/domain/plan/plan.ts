/** The shapes of a plan: as the user wrote it (after validation) and as setup compiles it. */

export type IntegrateStrategy = 'merge' | 'squash';
export type VerifyMode = 'end' | 'each';

export interface PlanSettings {
  /** Branch names are `<branchPrefix><plan>/<worker>`. */
  branchPrefix: string;
  /** Worktrees go to `<worktreeRoot>/<plan>/<worker>`; relative to the main worktree. `{repo}` is the repository folder's name. */
  worktreeRoot: string;
  /** No activity for longer than this and a worker is stalled. */
  stallAfter: string;
  agent: { command: string };
  integrate: {
    /** Branch integrate publishes to; null means the plan's base. */
    target: string | null;
    /** Shell command run on the merged result; null runs nothing. */
    verify: string | null;
    verifyMode: VerifyMode;
    strategy: IntegrateStrategy;
  };
}

export const DEFAULT_SETTINGS: PlanSettings = {
  branchPrefix: 'pw/',
  worktreeRoot: '../{repo}.pw',
  stallAfter: '30m',
  agent: { command: 'claude' },
  integrate: { target: null, verify: null, verifyMode: 'end', strategy: 'merge' },
};

export interface WorkerSpec {
  id: string;
  owns: string[];
  task: string;
  dependsOn: string[];
  /** Agent command for this worker only. */
  agent: string | null;
  /** stallAfter for this worker only. */
  stallAfter: string | null;
}

export interface Plan {
  name: string;
  /** Base branch; null means the branch checked out in the main worktree. */
  base: string | null;
  workers: WorkerSpec[];
  /** Markdown prose below the front matter, handed to every worker. */
  context: string;
  settings: PlanSettings;
  /** Where the plan came from (a file path, or the config file). */
  source: string;
}

export interface CompiledWorker {
  id: string;
  branch: string;
  /** Absolute path of the worker's worktree. */
  worktree: string;
  owns: string[];
  /** `:(top,glob)` pathspecs equivalent to `owns`. */
  pathspecs: string[];
  task: string;
  dependsOn: string[];
  agentCommand: string;
  stallAfterMs: number;
}

/** What setup writes to `<git-common-dir>/pw/<plan>/plan.json`: the trusted copy hooks and commands read. */
export interface CompiledPlan {
  version: 1;
  name: string;
  base: string;
  /** The base commit the worker branches were created from. */
  baseCommit: string;
  target: string;
  /** Absolute path of the main worktree. */
  repoRoot: string;
  source: string;
  context: string;
  stallAfterMs: number;
  integrate: PlanSettings['integrate'] & { target: string };
  workers: CompiledWorker[];
  /** Set by teardown, which keeps the record for the retrospective. */
  tornDownAt?: string;
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function branchName(settings: PlanSettings, plan: string, worker: string): string {
  return `${settings.branchPrefix}${plan}/${worker}`;
}
