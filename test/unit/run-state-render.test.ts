import { describe, expect, it } from 'vitest';
import { renderRunState } from '../../src/render/run/run-state.js';

describe('renderRunState', () => {
  it('shows a short reason whole, and cuts a long one with "…", never inside a character', () => {
    const long = `transient: gave up after 2 failed attempts (--retries 1) (last output: ${'🚀'.repeat(200)})`;
    const text = renderRunState('0123456789abcdef', [
      { worker: 'api', state: 'failed', attempt: 2, detail: 'permanent: exit 127' },
      { worker: 'web', state: 'failed', attempt: 2, detail: long },
    ]);
    const [, header, api, web] = text.split('\n');
    expect(header).toBe('pw run 01234567:');
    expect(api).toBe('  api  failed, attempt 2 (permanent: exit 127)');
    const shown = web!.slice(web!.indexOf('(') + 1, -1);
    expect(Array.from(shown)).toHaveLength(160);
    expect(shown.endsWith('🚀…')).toBe(true);
    expect(long.startsWith(shown.slice(0, -1))).toBe(true);
  });
});
