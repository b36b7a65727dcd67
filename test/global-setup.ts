import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAMP_FILE, sourceStamp } from '../scripts/source-stamp.mjs';
import { removeScratchFolder } from './setup/scratch-folder.js';
import { projectRoot } from './helpers/temp-repo.js';

/** Before the tests: a fresh build. After them: the run's tmpfs folder goes. */
export default function globalSetup(): () => void {
  buildIfStale();
  // The tmpfs folder of this run (vitest.config.ts).
  const scratch = process.env.TMPDIR ?? '';
  return () =>
    removeScratchFolder(scratch.startsWith(`/dev/shm/pw-tests-${process.pid}-`) ? scratch : null);
}

/**
 * Integration and e2e tests run the built binary: when dist/ was not built from
 * the sources on disk (say `npx vitest run` after editing src/), build it first,
 * so a test never passes or fails on yesterday's code.
 */
function buildIfStale(): void {
  const wanted = sourceStamp(projectRoot);
  let built = '';
  try {
    built = readFileSync(join(projectRoot, STAMP_FILE), 'utf8').trim();
  } catch {
    // no build yet
  }
  if (built === wanted) return;
  process.stderr.write(
    'dist/ was not built from the sources on disk: running npm run build first\n',
  );
  const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit' });
  if (build.status !== 0) {
    throw new Error('npm run build failed: fix the build (see above), then run the tests again');
  }
}
