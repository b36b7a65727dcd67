#!/usr/bin/env node
// The demo's stand-in for a coding agent: the launch script starts it in the
// worker's worktree with the brief as its last argument. It reports what it
// received and exits; the demo then plays the worker's commits itself.
const brief = process.argv[process.argv.length - 1] ?? '';
const firstLine = brief.split('\n', 1)[0];
console.log(
  `    [agent] started for ${process.env.PW_WORKER} in ${process.cwd()}\n` +
    `    [agent] brief received: ${brief.split('\n').length} lines, beginning "${firstLine}"`,
);
