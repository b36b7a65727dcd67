import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/domain/plan/did-you-mean.js';

describe('didYouMean', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one edit each, ignoring case', () => {
    expect(editDistance('web', 'web')).toBe(0);
    expect(editDistance('wbe', 'web')).toBe(1);
    expect(editDistance('agnet', 'agent')).toBe(1);
    expect(editDistance('ap', 'api')).toBe(1);
    expect(editDistance('dependson', 'dependsOn')).toBe(0);
    expect(editDistance('nope', 'core')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('ca', 'abc')).toBe(3);
  });

  it('suggests a likely typo, and nothing for a word that only shares a length', () => {
    expect(didYouMean('wbe', ['api', 'web', 'db'])).toBe('web');
    expect(didYouMean('ap', ['api', 'web'])).toBe('api');
    expect(didYouMean('stalAfter', ['stallAfter', 'task'])).toBe('stallAfter');
    expect(didYouMean('nope', ['core', 'cli', 'docs'])).toBeNull();
    expect(didYouMean('zzzz', ['api'])).toBeNull();
  });
});
