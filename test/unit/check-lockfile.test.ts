import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const script = join(root, 'scripts/check-lockfile.mjs');

function runCheck(dir: string) {
  const result = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('scripts/check-lockfile.mjs', () => {
  let dir: string;
  let lock: { packages: Record<string, Record<string, unknown>> };
  let manifest: Record<string, Record<string, string>>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-lockfile-'));
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    cpSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
    lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const save = () => {
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  };

  it("accepts the project's own lockfile", () => {
    const result = runCheck(root);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/entries, all complete and matching package.json/);
  });

  it('refuses entries without version or integrity, naming each', () => {
    // The shape that broke npm ci: optional platform packages with only dev/optional flags.
    lock.packages['node_modules/rollup/node_modules/@rollup/rollup-android-arm64'] = {
      dev: true,
      optional: true,
    };
    const someEntry = Object.keys(lock.packages).find((k) => k.startsWith('node_modules/'))!;
    delete lock.packages[someEntry]!.integrity;
    save();
    const result = runCheck(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'node_modules/rollup/node_modules/@rollup/rollup-android-arm64: no version and no integrity',
    );
    expect(result.stderr).toContain(`${someEntry}: no integrity`);
    expect(result.stderr).toMatch(/npm install/);
  });

  it('accepts links and bundled entries without integrity', () => {
    lock.packages['node_modules/local-thing'] = { resolved: 'packages/local-thing', link: true };
    lock.packages['node_modules/bundled/node_modules/inner'] = { version: '1.0.0', inBundle: true };
    save();
    expect(runCheck(dir).status).toBe(0);
  });

  it('refuses a lockfile that disagrees with package.json', () => {
    manifest.devDependencies!['left-pad'] = '^1.3.0';
    manifest.dependencies!.commander = '^99.0.0';
    save();
    const result = runCheck(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'root entry: devDependencies.left-pad is in package.json but not in the lockfile',
    );
    expect(result.stderr).toContain(
      'node_modules/left-pad: devDependencies of package.json, but not in the lockfile',
    );
    expect(result.stderr).toMatch(
      /node_modules\/commander: locked at 14\.\d+\.\d+, package.json asks for \^99\.0\.0/,
    );
  });

  it('says so when the lockfile cannot be read', () => {
    writeFileSync(join(dir, 'package-lock.json'), '{ not json');
    const result = runCheck(dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/cannot read/);
  });

  it('is what .ci/run runs before npm ci', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci.indexOf('node scripts/check-lockfile.mjs')).toBeGreaterThan(-1);
    expect(ci.indexOf('node scripts/check-lockfile.mjs')).toBeLessThan(ci.indexOf('npm ci --'));
    // bash parses it
    execFileSync('bash', ['-n', join(root, '.ci/run')]);
  });
});
