#!/bin/sh
# The benchmark's agent: records when it started, works for BENCH_WORK_S
# seconds, commits [COMPLETE] through the worker's real hooks and records
# when the commit was made. A shell script, not Node: an agent's own start-up
# is not pw's overhead, and Node's (about 150 ms on a loaded 2-core machine)
# would be counted against pw at every layer.
started=$(date +%s%3N)
sleep "${BENCH_WORK_S:-2}"
printf '%s\n' "$PW_WORKER" >"src/$PW_WORKER/done.txt"
git add -A -- .
if git commit -q -m "[COMPLETE] $PW_WORKER"; then ok=true; else ok=false; fi
committed=$(date +%s%3N)
printf '{"worker":"%s","started":%s,"committed":%s,"ok":%s}\n' \
  "$PW_WORKER" "$started" "$committed" "$ok" >>"$BENCH_DIR/times.ndjson"
