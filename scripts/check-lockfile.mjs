#!/usr/bin/env node
// Refuses a package-lock.json that `npm ci` would choke on or that no longer
// matches package.json, with a message that says which entry and what to do.
//
// Why: npm's tree builder crashes with "Invalid Version:" on an entry that has
// no version (it happened with optional platform packages written without
// version or integrity), and `npm ci` refuses a lockfile whose root entry
// disagrees with package.json. Both are cheaper to catch here, by name.
//
// `resolved` is not required: npm leaves it out on purpose when
// `omit-lockfile-registry-resolved` is set (as on these machines), and then
// takes the package from the configured registry by name and version.
//
// Usage: node scripts/check-lockfile.mjs [project-dir]   exit 0 ok, 1 problems, 2 unreadable

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
];

/**
 * Every problem with a lockfile, as one line each.
 * @param {any} lock parsed package-lock.json
 * @param {any} manifest parsed package.json
 * @returns {string[]}
 */
export function findLockfileProblems(lock, manifest) {
  const problems = [];
  if (typeof lock !== 'object' || lock === null || typeof lock.packages !== 'object') {
    return ['package-lock.json has no "packages" map (lockfileVersion 2 or 3 expected)'];
  }
  if (!(lock.lockfileVersion >= 2)) {
    problems.push(
      `lockfileVersion is ${String(lock.lockfileVersion)}; npm 7 or newer writes 2 or 3`,
    );
  }
  const root = lock.packages[''] ?? {};
  for (const key of ['name', 'version']) {
    if (manifest[key] !== undefined && root[key] !== manifest[key]) {
      problems.push(
        `root entry: ${key} is ${JSON.stringify(root[key])}, package.json says ${JSON.stringify(manifest[key])}`,
      );
    }
  }
  for (const field of DEPENDENCY_FIELDS) {
    const wanted = manifest[field] ?? {};
    const locked = root[field] ?? {};
    for (const name of new Set([...Object.keys(wanted), ...Object.keys(locked)])) {
      if (wanted[name] === locked[name]) continue;
      if (wanted[name] === undefined) {
        problems.push(`root entry: ${field}.${name} is locked but not in package.json`);
      } else if (locked[name] === undefined) {
        problems.push(`root entry: ${field}.${name} is in package.json but not in the lockfile`);
      } else {
        problems.push(
          `root entry: ${field}.${name} is ${JSON.stringify(locked[name])} in the lockfile, ${JSON.stringify(wanted[name])} in package.json`,
        );
      }
    }
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      const entry = lock.packages[`node_modules/${name}`];
      if (entry === undefined) {
        if (field !== 'optionalDependencies') {
          problems.push(`node_modules/${name}: ${field} of package.json, but not in the lockfile`);
        }
        continue;
      }
      if (typeof entry.version === 'string' && !satisfies(entry.version, range)) {
        problems.push(
          `node_modules/${name}: locked at ${entry.version}, package.json asks for ${range}`,
        );
      }
    }
  }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    if (entry.link === true) {
      if (typeof entry.resolved !== 'string') problems.push(`${path}: link without "resolved"`);
      continue;
    }
    const missing = [];
    if (typeof entry.version !== 'string' || entry.version === '') missing.push('version');
    // A bundled dependency ships inside its parent's tarball: no integrity of its own.
    if (entry.inBundle !== true && typeof entry.integrity !== 'string') missing.push('integrity');
    if (missing.length > 0) problems.push(`${path}: no ${missing.join(' and no ')}`);
  }
  return problems;
}

/**
 * Whether a version satisfies the range forms package.json uses here:
 * exact, ^, ~, >=, x-ranges and `||` alternatives. Anything else is not judged.
 */
export function satisfies(version, range) {
  return range
    .split('||')
    .map((part) => part.trim())
    .some((part) => satisfiesOne(version, part));
}

function satisfiesOne(version, range) {
  const v = parseVersion(version);
  if (v === undefined) return false;
  if (range === '' || range === '*' || range === 'latest') return true;
  const match =
    /^(\^|~|>=|=)?\s*v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(-[0-9A-Za-z.-]+)?$/.exec(range);
  if (match === null) return true; // a form this check does not judge; npm ci will
  const [, op = '=', ...rest] = match;
  const parts = rest
    .slice(0, 3)
    .map((p) => (p === undefined || p === 'x' || p === '*' ? undefined : Number(p)));
  const floor = parts.map((p) => p ?? 0);
  if (compare(v, floor) < 0) return false;
  if (op === '>=') return true;
  if (op === '^') {
    const lead = floor.findIndex((p, i) => p !== 0 || i === 2 || parts[i + 1] === undefined);
    return v.slice(0, lead + 1).every((p, i) => p === floor[i]);
  }
  if (op === '~') {
    const fixed = parts[1] === undefined ? 1 : 2;
    return v.slice(0, fixed).every((p, i) => p === floor[i]);
  }
  const fixed = parts.findIndex((p) => p === undefined);
  return v.slice(0, fixed === -1 ? 3 : fixed).every((p, i) => p === floor[i]);
}

function parseVersion(text) {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match === null ? undefined : match.slice(1, 4).map(Number);
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function main() {
  const dir = resolve(process.argv[2] ?? '.');
  let lock;
  let manifest;
  try {
    lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch (error) {
    process.stderr.write(`check-lockfile: cannot read ${dir}: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const problems = findLockfileProblems(lock, manifest);
  if (problems.length === 0) {
    process.stdout.write(
      `check-lockfile: ${Object.keys(lock.packages).length - 1} entries, all complete and matching package.json\n`,
    );
    return;
  }
  process.stderr.write(
    [
      `check-lockfile: ${join(dir, 'package-lock.json')} would not install as it is:`,
      ...problems.map((p) => `  ${p}`),
      "Regenerate it with this machine's npm (never by hand): rm -rf node_modules package-lock.json && npm install,",
      'then check a fresh clone with npm ci.',
      '',
    ].join('\n'),
  );
  process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main();
