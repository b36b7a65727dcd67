#!/usr/bin/env node
import { processDeps } from './deps.js';
import { runProgram } from './program.js';

await runProgram(process.argv.slice(2), processDeps(), (code) => {
  process.exitCode = code;
});
// Long-running views hold signal listeners; once the command is done, nothing should keep Node alive.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
