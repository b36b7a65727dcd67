import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readAllTrustRecords, readTrustRecord } from '../../src/git/trust-refs.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

// readAllTrustRecords reads every plan's trust record with one for-each-ref
// that prints the blobs itself; each record agrees with the per-plan read
// (cat-file), which takes the blob's bytes as git stores them.

let repo: TempRepo;
afterEach(() => repo.cleanup());

function blobRef(ref: string, text: string): void {
  const id = repo.git(['hash-object', '-w', '--stdin'], { input: text }).trim();
  repo.git(['update-ref', ref, id]);
}

describe('readAllTrustRecords', () => {
  it('reads every plan and mark in one call, unicode, newlines and NULs in the text included', async () => {
    repo = createTempRepo();
    const demoPlan = '{"name":"demo","task":"écrire\\nle 🚀 plan"}\nsecond line\n';
    blobRef('refs/pw/demo/trust/plan', demoPlan);
    blobRef('refs/pw/demo/trust/events', '{"size":12,"sha256":"abc"}\n');
    blobRef('refs/pw/other/trust/plan', 'with\0nul\nand no newline at the end');
    // A mark without a plan: a record, but not a plan set up.
    blobRef('refs/pw/marks-only/trust/events', '{"size":0,"sha256":"e3b0"}\n');
    // A plan ref that is not a blob: no text, as cat-file's ^{blob} gives none.
    repo.git(['update-ref', 'refs/pw/odd/trust/plan', 'HEAD']);
    // Other refs under refs/pw/ are not records.
    repo.git(['update-ref', 'refs/pw/demo/archive/api', 'HEAD']);

    const { records, planNames } = await readAllTrustRecords(repo.dir);
    expect(planNames.sort()).toEqual(['demo', 'odd', 'other']);
    expect([...records.keys()].sort()).toEqual(['demo', 'marks-only', 'odd', 'other']);
    for (const name of records.keys())
      expect(records.get(name)).toEqual(await readTrustRecord(repo.dir, name));
    expect(records.get('demo')).toEqual({
      planText: demoPlan,
      mark: { size: 12, sha256: 'abc' },
    });
    expect(records.get('other')?.planText).toBe('with\0nul\nand no newline at the end');
    expect(records.get('odd')).toEqual({ planText: null, mark: null });
  });

  it('walks the bytes git wrote: a blob that is not UTF-8 cannot pass for another plan', async () => {
    repo = createTempRepo();
    const demoPlan = '{"name":"demo","pathspecs":[":(top,glob)src/api/**"]}\n';
    blobRef('refs/pw/demo/trust/plan', demoPlan);
    // Invalid bytes, then what another entry of the output would look like:
    // read as text, each 0xff would grow to three bytes and shift the walk into it.
    const forged = `refs/pw/demo/trust/plan\0blob\0${'{"name":"demo","pathspecs":["**"]}'.length}\0{"name":"demo","pathspecs":["**"]}\n`;
    const bytes = Buffer.concat([Buffer.alloc(40, 0xff), Buffer.from(forged)]);
    const id = execFileSync('git', ['hash-object', '-w', '--stdin'], {
      cwd: repo.dir,
      input: bytes,
    })
      .toString()
      .trim();
    repo.git(['update-ref', 'refs/pw/zzz/trust/plan', id]);

    const { records, planNames } = await readAllTrustRecords(repo.dir);
    expect(planNames.sort()).toEqual(['demo', 'zzz']);
    expect(records.get('demo')?.planText).toBe(demoPlan);
    expect(records.get('demo')).toEqual(await readTrustRecord(repo.dir, 'demo'));
    expect(Buffer.from(records.get('zzz')!.planText!, 'utf8').includes(Buffer.from(forged))).toBe(
      true,
    );
  });

  it('is empty where nothing is recorded', async () => {
    repo = createTempRepo();
    expect(await readAllTrustRecords(repo.dir)).toEqual({ records: new Map(), planNames: [] });
  });
});
