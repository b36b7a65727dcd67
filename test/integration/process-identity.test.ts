import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isAlive,
  isSameProcessAlive,
  readProcessStartTime,
} from '../../src/store/process-identity.js';

describe('isSameProcessAlive', () => {
  it('takes a zombie (killed, not reaped by its parent) for gone, though it answers signals', async () => {
    // sh starts a child that exits at once, then becomes a sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: 'pipe' });
    try {
      const pid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))),
      );
      const state = (): string => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
      };
      for (let i = 0; i < 100 && state() !== 'Z'; i++)
        await new Promise((ok) => setTimeout(ok, 50));
      expect(state()).toBe('Z');
      expect(isAlive(pid)).toBe(true);
      const startTime = await readProcessStartTime(pid);
      expect(await isSameProcessAlive({ pid, startTime })).toBe(false);
      // A live process with its recorded start time is alive; with another one, it is not.
      const self = await readProcessStartTime(process.pid);
      expect(await isSameProcessAlive({ pid: process.pid, startTime: self })).toBe(true);
      expect(await isSameProcessAlive({ pid: process.pid, startTime: 'another-boot:1' })).toBe(
        false,
      );
      // No start time recorded, where /proc has them: a stale or forged record.
      expect(await isSameProcessAlive({ pid: process.pid, startTime: null })).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
