// Builds dist/: src/cli/bin.ts and everything it imports, bundled by esbuild
// into dist/cli/bin.js plus one file per lazily loaded command (the split
// chunks). One file read instead of ~200 module resolutions makes every pw
// start cheaper (the figures are in the README). tsc only type-checks.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/bin.ts'],
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Bundled CommonJS dependencies call require(); in an ES module it must be made.
  banner: {
    js: "import { createRequire as pwCreateRequire } from 'node:module'; const require = pwCreateRequire(import.meta.url);",
  },
  // cosmiconfig stays a module of its own: it loads a JavaScript config file through
  // import-fresh (which needs CommonJS's __filename) and TypeScript only for a .ts one.
  external: ['cosmiconfig', 'typescript'],
  logLevel: 'warning',
});
