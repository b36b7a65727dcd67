#!/usr/bin/env node
import { processDeps } from './deps.js';
import { runProgram } from './program.js';

// `pw status | head`: the reader went away. The work still finishes and exits as it would;
// only the output it no longer wants is dropped, with no stack trace (EPIPE, pipe(7)).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

await runProgram(process.argv.slice(2), processDeps(), (code) => {
  process.exitCode = code;
});
// Long-running views hold signal listeners; once the command is done, nothing should keep Node alive.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
