#!/usr/bin/env node
// Runs the kill harness (test/e2e/integrate-interrupt.test.ts) with fresh random
// seeds, printed first so a failing run can be replayed with
// PW_INTERRUPT_SEEDS=<seeds> npx vitest run test/e2e/integrate-interrupt.test.ts.
// `npm test` replays a fixed list instead, so it never depends on chance.
// Then races pw commands on one repository, 20 pairs of each kind
// (test/e2e/setup-race.test.ts; PW_RACE_PAIRS sets how many).
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const count = Number(process.env.PW_CHAOS_SEEDS ?? 3);
const seeds = Array.from({ length: count }, () => randomInt(1, 2 ** 31)).join(',');
process.stdout.write(`test:chaos: seeds ${seeds} (replay: PW_INTERRUPT_SEEDS=${seeds})\n`);
const result = spawnSync(
  'npx',
  ['vitest', 'run', '--project', 'e2e', 'test/e2e/integrate-interrupt.test.ts'],
  { stdio: 'inherit', env: { ...process.env, PW_INTERRUPT_SEEDS: seeds } },
);
const pairs = process.env.PW_RACE_PAIRS ?? '20';
process.stdout.write(`test:chaos: ${pairs} racing pairs of each kind (PW_RACE_PAIRS)\n`);
const race = spawnSync(
  'npx',
  ['vitest', 'run', '--project', 'e2e', 'test/e2e/setup-race.test.ts'],
  { stdio: 'inherit', env: { ...process.env, PW_RACE_PAIRS: pairs } },
);
process.exitCode = result.status || race.status || 0;
