import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { chooseScratchFolder } from './test/setup/scratch-folder.js';

// Integration and e2e tests spend most of their time waiting for the git and pw
// processes they start, so one test file per core keeps a small machine busy
// without starving it (vitest's default is one fewer than the cores: a single
// file at a time on 2 cores).
const forks = Math.max(2, availableParallelism());
// Projects do not inherit the root's test options: each names the setup file.
const setupFiles = ['test/setup/yield-between-tests.ts'];
// Temporary repositories on tmpfs where there is one (test/setup/scratch-folder.ts).
chooseScratchFolder();

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: forks } },
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles,
          include: ['test/unit/**/*.test.ts'],
          // Pure functions and no global state (no env, no mocks): one process runs them all,
          // instead of a fresh one per file. Vitest runs such a project once the other files
          // are done. 421 tests on 2 cores: 31 s of CPU and 17.5 s -> 11 s and 9 s.
          poolOptions: { forks: { singleFork: true, isolate: false } },
          testTimeout: 10_000,
        },
      },
      {
        test: {
          name: 'integration',
          setupFiles,
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          setupFiles,
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
