import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseScratchFolder, removeScratchFolder } from '../setup/scratch-folder.js';

const tmpfs = ((): boolean => {
  try {
    return statfsSync('/dev/shm').type === 0x01021994;
  } catch {
    return false;
  }
})();

describe('the tests’ scratch folder', () => {
  it('keeps a TMPDIR the caller chose', () => {
    const env: NodeJS.ProcessEnv = { TMPDIR: '/somewhere/else' };
    expect(chooseScratchFolder(env)).toBeNull();
    expect(env.TMPDIR).toBe('/somewhere/else');
  });

  it.runIf(tmpfs)(
    'goes on tmpfs, per run; folders of runs whose process is gone are removed',
    () => {
      // pid 2^22 + 1 is above Linux's pid_max limit: no process has it.
      const stale = '/dev/shm/pw-tests-4194305-left';
      mkdirSync(stale, { recursive: true });
      const env: NodeJS.ProcessEnv = {};
      const folder = chooseScratchFolder(env);
      expect(folder).toMatch(new RegExp(`^/dev/shm/pw-tests-${process.pid}-`));
      expect(env.TMPDIR).toBe(folder);
      expect(existsSync(folder!)).toBe(true);
      expect(existsSync(stale)).toBe(false);
      removeScratchFolder(folder);
      expect(existsSync(folder!)).toBe(false);
    },
  );
});
