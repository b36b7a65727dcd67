import { describe, expect, it } from 'vitest';
import { findFirstFailing } from '../../src/domain/integrate/find-first-failing.js';

/** `passes` for a sequence whose results from `firstBad` on fail; records what was asked. */
function oracle(firstBad: number) {
  const asked: number[] = [];
  return {
    asked,
    passes: async (i: number) => {
      asked.push(i);
      return i < firstBad;
    },
  };
}

describe('findFirstFailing', () => {
  it.each([1, 2, 3, 5, 8, 13, 20])(
    'finds each first failing step among 20 (%i)',
    async (firstBad) => {
      const { passes, asked } = oracle(firstBad);
      expect(await findFirstFailing(20, passes)).toBe(firstBad);
      expect(asked.length).toBeLessThanOrEqual(Math.ceil(Math.log2(20)) + 1);
      expect(asked).not.toContain(20);
    },
  );

  it('returns 0 when the start already fails', async () => {
    const { passes, asked } = oracle(0);
    expect(await findFirstFailing(6, passes)).toBe(0);
    expect(asked).toContain(0);
  });

  it('with one step, asks only about the start', async () => {
    const { passes, asked } = oracle(1);
    expect(await findFirstFailing(1, passes)).toBe(1);
    expect(asked).toEqual([0]);
  });
});
