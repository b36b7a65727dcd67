#!/bin/sh
# Starts the agent for worker {{worker}} of plan {{plan}} in its worktree, with its brief.
# Written by pw setup; pw teardown removes it.
set -eu
PW_PLAN={{planQ}}
PW_WORKER={{workerQ}}
PW_WORKTREE={{worktreeQ}}
PW_BRIEF={{briefQ}}
export PW_PLAN PW_WORKER PW_WORKTREE PW_BRIEF
cd "$PW_WORKTREE"
# The agent command comes from the plan or config; the brief is handed over as
# its last argument (or where the command says {brief}), read from the file,
# never spliced into the command line.
{{exec}}
