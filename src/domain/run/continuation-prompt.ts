/** The prompt a resumed agent gets: where it stands and what the protocol asks of it. */
export function continuationPrompt(input: {
  worker: string;
  plan: string;
  lastCommit: { sha: string; header: string } | null;
  reason: string;
  /** Staged paths the worker does not own, with their owners (null: nobody's). */
  strayStaged?: readonly { path: string; owner: string | null }[];
}): string {
  const last = input.lastCommit
    ? `Your last commit is ${input.lastCommit.sha.slice(0, 12)} "${input.lastCommit.header}".`
    : 'You have not committed anything yet.';
  const stray = input.strayStaged ?? [];
  const strayLines = stray.length
    ? [
        `Staged in your worktree but not yours, so pw's hooks refuse every commit while they stay staged: ${stray
          .map((s) => `${s.path} (${s.owner ? `owned by ${s.owner}` : 'owned by no worker'})`)
          .join(', ')}.`,
        'Unstage them first: git restore --staged -- <path> (and git checkout -- <path> to drop the edit).',
        'If you need a change there, ask its owner: git commit --allow-empty -m "[NEEDS:<owner>/<item>] <the change>".',
      ]
    : [];
  return [
    `You are worker "${input.worker}" of plan "${input.plan}". Your previous session ended (${input.reason}) before your branch said [COMPLETE].`,
    last,
    ...strayLines,
    'Check `git status` and `git log`, then carry on with the task in WORKER.md. Keep to the commit protocol:',
    '[CHECKPOINT] <subject> for progress, [NEEDS:<worker>/<item>] <subject> when you need something from another worker,',
    '[BLOCKED:<reason>] <subject> when you cannot go on, and [COMPLETE] <subject> when the task is done.',
    'Commit only files you own; your work is done when you commit [COMPLETE].',
  ].join('\n');
}
