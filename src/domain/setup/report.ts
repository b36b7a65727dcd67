/** What `pw setup` did (or, with --dry-run, would do), for its renderer and --json. */
export interface SetupWorkerReport {
  id: string;
  branch: string;
  worktree: string;
  brief: string;
  launch: string;
  owns: string[];
  dependsOn: string[];
  status: 'created' | 'updated' | 'unchanged';
}

export interface SetupReport {
  plan: string;
  base: string;
  baseCommit: string;
  dryRun: boolean;
  actions: string[];
  workers: SetupWorkerReport[];
  unowned: { count: number; sample: string[] };
  warnings: string[];
  tmux: { session: string; attach: string; alreadyOpen: string[] } | null;
  /** Other plans set up in this repository (commands then need --plan). */
  otherPlans: string[];
  /** Agent programs the launch scripts start that are not on PATH, with the workers that use them. */
  agentsMissing: { program: string; workers: string[] }[];
  /**
   * The target branch already holds every worker's COMPLETE work (a setup run
   * again after pw integrate): no worker is left to open. Null otherwise.
   */
  integratedInto?: string | null;
  /** With --hub: where the plan was published for pw join (null: not published). */
  hub?: { hub: string; ref: string; commit: string; pushing: string[] } | null;
}
