// Makes the built bin executable (tsc does not keep file modes) and records which
// sources dist/ was built from, so a test run can refuse a stale build.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP_FILE, sourceStamp } from './source-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
chmodSync(join(root, 'dist/cli/bin.js'), 0o755);
writeFileSync(join(root, STAMP_FILE), `${sourceStamp(root)}\n`);
