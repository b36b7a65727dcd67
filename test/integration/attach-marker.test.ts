import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachDir,
  claimAttachMarker,
  readAttachMarkers,
  releaseAttachMarker,
  updateAttachMarker,
  type AttachMarker,
} from '../../src/store/run/attach-marker.js';
import { readProcessIdentity } from '../../src/store/process-identity.js';

let commonDir: string;
beforeEach(() => {
  commonDir = mkdtempSync(join(tmpdir(), 'pw-attach-marker-'));
});
afterEach(() => rmSync(commonDir, { recursive: true, force: true }));

async function markerOf(worker: string, identity?: { pid: number; startTime: string | null }) {
  const self = identity ?? (await readProcessIdentity());
  const marker: AttachMarker = {
    version: 1,
    plan: 'demo',
    worker,
    pid: self.pid,
    startTime: self.startTime,
    agentPid: null,
    agentStartTime: null,
    startedAt: '2026-03-04T05:06:07.000Z',
    argv: ['agent'],
  };
  return marker;
}

/** The pid of a process that has exited (and was reaped): never alive again under that start. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('attach markers', () => {
  it('one claim per worker: a live holder refuses a second claim; the holder releases it', async () => {
    const mine = await markerOf('api');
    expect(await claimAttachMarker(commonDir, mine)).toEqual({ claimed: true, stale: null });
    const again = await claimAttachMarker(commonDir, await markerOf('api'));
    expect(again).toMatchObject({ claimed: false, holder: { pid: process.pid, worker: 'api' } });
    expect(await claimAttachMarker(commonDir, await markerOf('web'))).toMatchObject({
      claimed: true,
    });
    const { live, stale } = await readAttachMarkers(commonDir, 'demo');
    expect([...live.keys()].sort()).toEqual(['api', 'web']);
    expect(stale).toEqual([]);
    // No temporary file is left beside the markers.
    expect(readdirSync(attachDir(commonDir, 'demo')).sort()).toEqual(['api.json', 'web.json']);
    await releaseAttachMarker(commonDir, mine);
    await releaseAttachMarker(commonDir, await markerOf('web'));
    expect(existsSync(attachDir(commonDir, 'demo'))).toBe(false);
  });

  it('a marker of a dead process is stale: listed as such, replaced by the next claim', async () => {
    const dead = await markerOf('api', { pid: deadPid(), startTime: 'gone:1' });
    expect(await claimAttachMarker(commonDir, dead)).toMatchObject({ claimed: true });
    const read = await readAttachMarkers(commonDir, 'demo');
    expect(read.live.size).toBe(0);
    expect(read.stale.map((m) => m.pid)).toEqual([dead.pid]);
    const mine = await markerOf('api');
    expect(await claimAttachMarker(commonDir, mine)).toEqual({ claimed: true, stale: dead });
    expect((await readAttachMarkers(commonDir, 'demo')).live.get('api')?.pid).toBe(process.pid);
  });

  it('a marker stays live while its agent runs, even when pw attach itself is gone', async () => {
    const self = await readProcessIdentity();
    const marker = await markerOf('api', { pid: deadPid(), startTime: 'gone:1' });
    await claimAttachMarker(commonDir, marker);
    await updateAttachMarker(commonDir, {
      ...marker,
      agentPid: self.pid,
      agentStartTime: self.startTime,
    });
    expect((await readAttachMarkers(commonDir, 'demo')).live.has('api')).toBe(true);
  });

  it('release leaves a marker that is not ours', async () => {
    const mine = await markerOf('api');
    await claimAttachMarker(commonDir, mine);
    await releaseAttachMarker(commonDir, { ...mine, pid: mine.pid + 1 });
    expect((await readAttachMarkers(commonDir, 'demo')).live.has('api')).toBe(true);
  });
});
