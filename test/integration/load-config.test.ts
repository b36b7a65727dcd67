import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_SETTINGS } from '../../src/domain/plan/plan.js';

describe('loadConfig (cosmiconfig, module name "parallel")', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['.parallelrc', 'stallAfter: 10m\n'],
    ['.parallelrc.yaml', 'stallAfter: 10m\n'],
    ['.parallelrc.yml', 'stallAfter: 10m\n'],
    ['.parallelrc.json', '{"stallAfter": "10m"}'],
    ['parallel.config.js', 'export default { stallAfter: "10m" };\n'],
    ['parallel.config.mjs', 'export default { stallAfter: "10m" };\n'],
    ['package.json', '{"name": "x", "parallel": {"stallAfter": "10m"}}'],
  ])('reads %s', async (file, content) => {
    if (file === 'parallel.config.js')
      writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    writeFileSync(join(dir, file), content);
    const config = await loadConfig(dir);
    expect(config.file).toBe(join(dir, file));
    expect(config.settings).toEqual({ ...DEFAULT_SETTINGS, stallAfter: '10m' });
  });

  it('uses the defaults when there is no config', async () => {
    expect(await loadConfig(dir)).toEqual({
      settings: DEFAULT_SETTINGS,
      plan: null,
      file: null,
      warnings: [],
    });
  });

  it('reports every invalid key with the file it came from', async () => {
    writeFileSync(
      join(dir, '.parallelrc.yaml'),
      'stallAfter: soon\nintegrate:\n  strategy: rebase\n',
    );
    await expect(loadConfig(dir)).rejects.toMatchObject({
      exitCode: 2,
      details: [
        `${join(dir, '.parallelrc.yaml')}: stallAfter: "soon" is not a duration; write e.g. 30m, 2h, 90s`,
        `${join(dir, '.parallelrc.yaml')}: integrate.strategy: must be "merge" or "squash", found "rebase"`,
        expect.stringContaining('.parallelrc.example'),
      ],
    });
  });

  it('reports a syntax error as a usage error', async () => {
    writeFileSync(join(dir, '.parallelrc.json'), '{ nope');
    await expect(loadConfig(dir)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('documents every key of the defaults in .parallelrc.example', async () => {
    const example = join(dir, '.parallelrc.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(example, readFileSync(new URL('../../.parallelrc.example', import.meta.url)));
    const config = await loadConfig(dir);
    expect(config.warnings).toEqual([]);
    expect(config.settings).toEqual(DEFAULT_SETTINGS);
  });
});
