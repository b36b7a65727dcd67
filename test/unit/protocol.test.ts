import { describe, expect, it } from 'vitest';
import {
  parseCommitMessage,
  parseProvides,
  stripMessage,
} from '../../src/domain/protocol/protocol.js';

const context = { workers: ['api', 'web', 'docs'], self: 'web' };

describe('parseCommitMessage', () => {
  it.each([
    ['[CHECKPOINT] add the model', { kind: 'CHECKPOINT', subject: 'add the model' }],
    [
      '[BLOCKED:db schema unclear] stop',
      { kind: 'BLOCKED', reason: 'db schema unclear', subject: 'stop' },
    ],
    [
      '[NEEDS:api/user-model] wait',
      { kind: 'NEEDS', worker: 'api', item: 'user-model', subject: 'wait' },
    ],
    ['[COMPLETE] done', { kind: 'COMPLETE', subject: 'done' }],
  ])('accepts %s', (message, header) => {
    expect(parseCommitMessage(message, context)).toEqual({
      type: 'protocol',
      header,
      provides: [],
    });
  });

  it.each([
    ['[checkpoint] lower case', /upper case/],
    ['fix: [CHECKPOINT] not at start', /does not start with/],
    ['[CHECKPOINT]', /subject .* is empty/],
    ['[BLOCKED:] why', /needs a reason/],
    ['[BLOCKED] why', /needs a reason/],
    ['[NEEDS:api] x', /worker id and an item/],
    ['[NEEDS:nobody/x] x', /"nobody" is not a worker of this plan/],
    ['[NEEDS:web/x] x', /cannot need something from itself/],
    ['[DONE] x', /"DONE" is not a status keyword/],
    ['[COMPLETE:x] y', /takes no ":" argument/],
    ['', /empty/],
  ])('refuses %j', (message, problem) => {
    const parsed = parseCommitMessage(message, context);
    expect(parsed.type).toBe('invalid');
    if (parsed.type === 'invalid') {
      expect(parsed.problem).toMatch(problem);
      expect(parsed.suggestion === null || parsed.suggestion.startsWith('[')).toBe(true);
    }
  });

  it('builds a corrected example from the attempted header', () => {
    const parsed = parseCommitMessage('[checkpoint] add login form', context);
    expect(parsed).toMatchObject({ suggestion: '[CHECKPOINT] add login form' });
    // Never a guessed worker: a placeholder, and the problem names the workers to choose from.
    expect(parseCommitMessage('[NEEDS:nobody/token] wait', context)).toMatchObject({
      suggestion: '[NEEDS:<worker>/token] wait',
      problem: '"nobody" is not a worker of this plan (workers: api, web, docs)',
    });
    expect(parseCommitMessage('[NEEDS:web/token] wait', context)).toMatchObject({
      suggestion: '[NEEDS:<worker>/token] wait',
      problem: 'a worker cannot need something from itself (other workers: api, docs)',
    });
    expect(parseCommitMessage('[NEEDS:docs] wait', context)).toMatchObject({
      suggestion: '[NEEDS:docs/item] wait',
    });
    expect(parseCommitMessage('blocked: no db', context)).toMatchObject({
      suggestion: '[BLOCKED:what is in the way] no db',
    });
  });

  it.each([
    ["Merge branch 'main' into pw/p/web", 'merge'],
    ["Merge remote-tracking branch 'origin/main'", 'merge'],
    ['fixup! [CHECKPOINT] x', 'fixup'],
    ['squash! [CHECKPOINT] x', 'squash'],
    ['Revert "[CHECKPOINT] x"', 'revert'],
  ])('lets %j pass without a prefix', (message, exempt) => {
    expect(parseCommitMessage(message, context)).toEqual({ type: 'exempt', exempt });
  });

  it('reads Provides trailers', () => {
    const parsed = parseCommitMessage(
      '[CHECKPOINT] model\n\nbody\n\nProvides: user-model, token',
      context,
    );
    expect(parsed).toMatchObject({ type: 'protocol', provides: ['user-model', 'token'] });
    expect(parseProvides('x\n\nprovides:   a  \n')).toEqual(['a']);
    // git's trailer rules: the title paragraph and body paragraphs hold no trailers.
    expect(parseProvides('x\nprovides: a\n')).toEqual([]);
    expect(parseProvides('x\n\nProvides: a\n\nprose\n')).toEqual([]);
  });
});

describe('stripMessage', () => {
  it('drops comments and everything below the scissors line', () => {
    const raw =
      '[CHECKPOINT] x\n# comment\nbody\n# ------------------------ >8 ------------------------\ndiff';
    expect(stripMessage(raw)).toBe('[CHECKPOINT] x\nbody');
  });

  it('honours another comment character', () => {
    expect(stripMessage('; note\n[COMPLETE] y\n# kept', ';')).toBe('[COMPLETE] y\n# kept');
  });
});
