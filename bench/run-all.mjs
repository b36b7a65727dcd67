// npm run bench: every benchmark, one after the other. Each prints medians and
// ratios against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const name of ['deps', 'hooks', 'status', 'integrate', 'run', 'setup']) {
  const script = join(here, `${name}.mjs`);
  if (!existsSync(script)) continue;
  console.log(`\n=== bench/${name}.mjs ===`);
  const result = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
