#!/usr/bin/env node
// The benchmark's agent: records when it started, works for BENCH_WORK_MS,
// commits [COMPLETE] and records when the commit was made.
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const started = Date.now();
const worker = process.env.PW_WORKER;
await new Promise((resolve) => setTimeout(resolve, Number(process.env.BENCH_WORK_MS ?? 2000)));
writeFileSync(join('src', worker, 'done.txt'), `${worker}\n`);
spawnSync('git', ['add', '-A', '--', '.']);
const commit = spawnSync('git', ['commit', '-q', '-m', `[COMPLETE] ${worker}`]);
const committed = Date.now();
appendFileSync(
  join(process.env.BENCH_DIR, 'times.ndjson'),
  `${JSON.stringify({ worker, started, committed, ok: commit.status === 0 })}\n`,
);
