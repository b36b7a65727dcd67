// A digest of everything `npm run build` compiles (src/ and the tsconfig files),
// so tests can tell whether dist/ was built from the sources on disk.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Paths whose content the build reads, relative to the project root, sorted. */
function buildInputs(root) {
  const files = ['tsconfig.json', 'tsconfig.build.json', 'scripts/bundle.mjs'];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(root, path));
    }
  };
  walk(join(root, 'src'));
  return files.sort();
}

/** The digest of the build's inputs under `root`. */
export function sourceStamp(root) {
  const hash = createHash('sha256');
  for (const file of buildInputs(root)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Where the build records the digest of the sources it compiled. */
export const STAMP_FILE = join('dist', '.source-stamp');
