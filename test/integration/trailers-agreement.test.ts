import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProvides } from '../../src/domain/protocol/protocol.js';
import { parseTrailers } from '../../src/domain/protocol/trailers.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

/**
 * One rule: for every message, the trailer reader and git itself
 * (`git interpret-trailers --parse --no-divider`) find the same trailers, and
 * so the same Provides items; `expected` pins the items for the reader.
 */
const corpus: [name: string, message: string, expected: string[]][] = [
  ['a plain trailer', '[CHECKPOINT] x\n\nProvides: a\n', ['a']],
  ['a list', '[CHECKPOINT] x\n\nProvides: a, b,c\n', ['a', 'b', 'c']],
  [
    'Provides in the body is prose, not a trailer',
    '[CHECKPOINT] x\n\nProvides: early in the body\nand then prose.\n\nMore prose.\n',
    [],
  ],
  ['a body paragraph after it', '[CHECKPOINT] x\n\nProvides: a\n\nprose after\n', []],
  ['the title alone', 'Provides: a\n', []],
  ['in the title paragraph', '[CHECKPOINT] x\nProvides: a\n', []],
  ['any case of key', '[CHECKPOINT] x\n\nprovides: a\nPROVIDES:b\n', ['a', 'b']],
  ['blanks before the colon', '[CHECKPOINT] x\n\nProvides : a\n', ['a']],
  ['a continuation line', '[CHECKPOINT] x\n\nProvides: a,\n  b\n', ['a', 'b']],
  ['a folded value', '[CHECKPOINT] x\n\nProvides: a  \n\tb c\n', ['a   b c']],
  [
    'among other trailers',
    '[CHECKPOINT] x\n\nbody\n\nCo-authored-by: X <x@example.com>\nProvides: a\nRefs: #1\n',
    ['a'],
  ],
  [
    '25% trailers with a Signed-off-by',
    '[CHECKPOINT] x\n\nProvides: a\nsome prose\nmore prose\nSigned-off-by: T <t@example.com>\n',
    ['a'],
  ],
  [
    'under 25% trailers',
    `[CHECKPOINT] x\n\nProvides: a\n${'prose\n'.repeat(7)}Signed-off-by: T <t@example.com>\n`,
    [],
  ],
  ['a prose line and no git trailer', '[CHECKPOINT] x\n\nProvides: a\nprose\n', []],
  ['trailing blank lines', '[CHECKPOINT] x\n\nProvides: a\n\n\n  \n', ['a']],
  ['a comment below', '[CHECKPOINT] x\n\nProvides: a\n# a comment\n', ['a']],
  [
    'a cherry-pick line',
    '[CHECKPOINT] x\n\nProvides: a\nprose\n(cherry picked from commit 0123456789abcdef)\n',
    ['a'],
  ],
  ['two trailers', '[CHECKPOINT] x\n\nProvides: a\nProvides: b\n', ['a', 'b']],
  ['an empty value', '[CHECKPOINT] x\n\nProvides:\n', []],
  ['empty items', '[CHECKPOINT] x\n\nProvides: a,, ,b\n', ['a', 'b']],
  ['a token with a blank', '[CHECKPOINT] x\n\nX Provides: a\n', []],
  ['an indented line alone', '[CHECKPOINT] x\n\n  Provides: a\n', []],
  ['a --- line (no divider)', '[CHECKPOINT] x\n\nProvides: a\n---\nProvides: b\n', []],
  ['another key', '[CHECKPOINT] x\n\nProvides-Item: a\nProvides2: b\n', []],
  [
    'Provides in the body, other trailers last',
    '[CHECKPOINT] x\n\nProvides: a\n\nSigned-off-by: T <t@example.com>\n',
    [],
  ],
  [
    'below the scissors line',
    '[CHECKPOINT] x\n\nProvides: a\n# ------------------------ >8 ------------------------\nProvides: b\n',
    ['a'],
  ],
  ['a comment in the title', '# note\n[CHECKPOINT] x\n\nProvides: ü-item\n', ['ü-item']],
  ['no final newline', '[CHECKPOINT] x\n\nbody\n\nProvides: a', ['a']],
];

let repo: TempRepo;
beforeAll(() => {
  repo = createTempRepo();
});
afterAll(() => repo.cleanup());

function gitTrailers(message: string): { key: string; value: string }[] {
  const out = repo.git(['interpret-trailers', '--parse', '--no-divider'], { input: message });
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const colon = line.indexOf(':');
      return { key: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    });
}

describe('trailers agree with git interpret-trailers --parse', () => {
  it.each(corpus)('%s', (_name, message, expected) => {
    const fromGit = gitTrailers(message);
    expect(parseTrailers(message)).toEqual(fromGit);
    const gitProvides = fromGit
      .filter((t) => t.key.toLowerCase() === 'provides')
      .flatMap((t) => t.value.split(','))
      .map((item) => item.trim())
      .filter((item) => item !== '');
    expect(parseProvides(message)).toEqual(gitProvides);
    expect(parseProvides(message)).toEqual(expected);
  });
});
