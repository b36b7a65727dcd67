/**
 * Where pw finds its own files: the package's hooks/ and templates/ folders,
 * its package.json and its bin. One place, resolved from this module, which
 * sits two folders below the package root in every form pw runs in: src/cli
 * (tests), dist/cli (the build, bundled into dist/cli/ by scripts/bundle.mjs).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);

/** A file of the package, by its path from the package root (`hooks/lib.sh`). */
export function packageFile(path: string): string {
  return fileURLToPath(new URL(path, ROOT));
}

/** pw's bin script: what hooks and background runs start. */
export function pwBin(): string {
  return fileURLToPath(new URL('./bin.js', import.meta.url));
}

export const PW_VERSION = (
  JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }
).version;
