#!/bin/sh
# The benchmark's agent: records when it started, works for BENCH_WORK_S
# seconds, commits [COMPLETE] through the worker's real hooks and records
# when the commit was made. A shell script, not Node: an agent's own start-up
# is not pw's overhead, and Node's (about 150 ms on a loaded 2-core machine)
# would be counted against pw at every layer.
# Milliseconds since the epoch: GNU date has %3N; elsewhere (BSD date) Node says.
now_ms() {
  ms=$(date +%s%3N)
  case $ms in *[!0-9]*) node -e 'console.log(Date.now())' ;; *) echo "$ms" ;; esac
}
started=$(now_ms)
sleep "${BENCH_WORK_S:-2}"
printf '%s\n' "$PW_WORKER" >"src/$PW_WORKER/done.txt"
git add -A -- .
if git commit -q -m "[COMPLETE] $PW_WORKER"; then ok=true; else ok=false; fi
committed=$(now_ms)
printf '{"worker":"%s","started":%s,"committed":%s,"ok":%s}\n' \
  "$PW_WORKER" "$started" "$committed" "$ok" >>"$BENCH_DIR/times.ndjson"
