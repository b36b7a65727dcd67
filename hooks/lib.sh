#!/bin/sh
# Shared part of every pw hook. pw pastes it into each generated hook, after
# the block of values it bakes in (PW_HOOK, PW_PLAN, PW_WORKER, PW_ROOT,
# PW_SELF, PW_CHAIN, PW_CHAIN_MAIN, PW_NODE, PW_BIN), so a hook reads no other file on its
# good path. Keep it POSIX sh, quoted, and free of forks.

PW_ZERO=0000000000000000000000000000000000000000
PW_NL='
'

# git with pathspec magic switched on whatever the caller's environment says:
# GIT_LITERAL_PATHSPECS=1 would make every ":(exclude)" a literal file name and
# the scope check a no-op (git(1), ENVIRONMENT). Only for pw's own git calls.
pw_git() {
  GIT_LITERAL_PATHSPECS=0 GIT_GLOB_PATHSPECS=0 GIT_NOGLOB_PATHSPECS=0 GIT_ICASE_PATHSPECS=0 \
    git "$@"
}

# The hook that was in place before pw, if it exists and is executable. A
# relative hooks path (husky's .husky/_) is relative to where git runs hooks:
# the top of the worktree, as git itself reads core.hooksPath (git-config(1)).
# A new worker worktree lacks husky's generated .husky/_ (git ignores it) until
# npm install runs there, so PW_CHAIN_MAIN, the same path in the main
# worktree, stands in for it: the project's own hooks still run.
pw_next_hook() {
  pw_next=
  [ -n "$PW_CHAIN" ] || return 1
  [ "$PW_CHAIN" != "$PW_SELF" ] || return 1
  pw_next=$PW_CHAIN/$PW_HOOK
  [ -f "$pw_next" ] && [ -x "$pw_next" ] && return 0
  [ -n "$PW_CHAIN_MAIN" ] && [ ! -d "$PW_CHAIN" ] || return 1
  pw_next=$PW_CHAIN_MAIN/$PW_HOOK
  [ -f "$pw_next" ] && [ -x "$pw_next" ]
}

# Hands over to the previous hook with the same arguments and stdin; the last
# thing a hook does once pw's own check passed.
pw_chain() {
  pw_next_hook || exit 0
  exec "$pw_next" "$@"
}

# The same for hooks whose stdin pw has already read into $pw_input.
pw_chain_input() {
  pw_next_hook || exit 0
  printf '%s' "$pw_input" | "$pw_next" "$@"
  exit $?
}

# Node starts only here, once the fast check found something: pw judges it
# precisely, prints what to do, logs the refusal and exits non-zero, or
# exits 0 when the change is fine after all (a merge of the base, ...).
pw_explain() {
  pw_node=$PW_NODE
  [ -x "$pw_node" ] || pw_node=$(command -v node 2>/dev/null) || pw_node=
  if [ -z "$pw_node" ] || [ ! -f "$PW_BIN" ]; then
    echo "pw: the $PW_HOOK hook (plan ${PW_PLAN:-any}, worker ${PW_WORKER:-none}) must check this change but cannot start pw (node: ${pw_node:-not found}; pw: $PW_BIN)." >&2
    echo "  Nothing was changed. Make node and pw available again and run: pw hooks install" >&2
    return 1
  fi
  "$pw_node" "$PW_BIN" explain "$@"
}

# Runs the guard table of every plan set up in this repository for the ref in
# $pw_ref; each table calls pw_hit <plan> <worker> <base> <exclude pathspecs...>
# when the ref is a worker branch.
pw_guard_ref() {
  for pw_guard in "$PW_ROOT"/*/hooks/guard.sh; do
    if [ -f "$pw_guard" ]; then . "$pw_guard"; fi
  done
}
