import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendWorktreeConfig,
  readScopedConfig,
  worktreeConfigFile,
} from '../../src/git/config.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

/** Setup writes a new worktree's own config without git: git must read back exactly what was meant. */
describe('appendWorktreeConfig', () => {
  let repo: TempRepo;
  let worktree: string;
  beforeEach(() => {
    repo = createTempRepo({ files: { 'a.txt': 'a\n' } });
    repo.git(['config', 'extensions.worktreeConfig', 'true']);
    worktree = join(repo.root, 'wt');
    repo.git(['worktree', 'add', '-q', '-b', 'wt', worktree]);
  });
  afterEach(() => repo.cleanup());

  const get = (key: string) => repo.git(['config', '--worktree', '--get', key], { cwd: worktree });

  it('sets values git reads back verbatim: quotes, backslashes, tabs, newlines, ; # and unicode', async () => {
    const hooks = join(repo.root, 'dir with "quotes" \\ back;slash #hash\ttab é 日本');
    const file = await worktreeConfigFile(worktree);
    expect(existsSync(file)).toBe(false);
    const undo = await appendWorktreeConfig(worktree, [
      ['pw.plan', 'feat'],
      ['pw.worker', 'line\nbreak'],
      ['core.hooksPath', hooks],
    ]);
    expect(get('pw.plan')).toBe('feat');
    expect(get('pw.worker')).toBe('line\nbreak');
    expect(get('core.hooksPath')).toBe(hooks);
    // Not seen by the main worktree.
    expect(repo.gitResult(['config', '--worktree', '--get', 'pw.plan']).status).toBe(1);
    const layers = (await readScopedConfig(worktree, ['core.hooksPath'])).layers('core.hooksPath');
    expect(layers.at('worktree')).toBe(hooks);
    expect(layers.below('worktree')).toBeNull();
    // git can still change and remove them (each key is set once).
    repo.git(['config', '--worktree', 'core.hooksPath', '/elsewhere'], { cwd: worktree });
    expect(get('core.hooksPath')).toBe('/elsewhere');
    await undo();
    expect(existsSync(file)).toBe(false);
  });

  it('appends after what the file holds and puts it back byte for byte', async () => {
    repo.git(['config', '--worktree', 'user.name', 'Someone'], { cwd: worktree });
    const file = await worktreeConfigFile(worktree);
    const before = readFileSync(file, 'utf8');
    const undo = await appendWorktreeConfig(worktree, [['pw.worker', 'api']]);
    expect(get('pw.worker')).toBe('api');
    expect(get('user.name')).toBe('Someone');
    await undo();
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('reads the value in force with its layers: the same as git config --get, from any scope', async () => {
    const read = async () =>
      (await readScopedConfig(worktree, ['core.hooksPath'])).layers('core.hooksPath');
    const inForce = () =>
      repo.gitResult(['config', '--type=path', '--get', 'core.hooksPath'], { cwd: worktree });
    expect((await read()).effective()).toBeNull();
    expect(inForce().status).toBe(1);
    const shared = join(repo.root, 'shared hooks');
    repo.git(['config', 'core.hooksPath', shared]);
    expect((await read()).effective()).toBe(inForce().stdout.trim());
    expect((await read()).effective()).toBe(shared);
    repo.git(['config', '--worktree', 'core.hooksPath', '/per worktree'], { cwd: worktree });
    expect((await read()).effective()).toBe('/per worktree');
    expect(inForce().stdout.trim()).toBe('/per worktree');
    expect((await read()).below('worktree')).toBe((await read()).at('local'));
  });

  it('finds the main worktree config in .git/', async () => {
    expect(await worktreeConfigFile(repo.dir)).toBe(join(repo.dir, '.git', 'config.worktree'));
  });
});
