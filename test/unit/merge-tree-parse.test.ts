import { describe, expect, it } from 'vitest';
import { parseMergeTree } from '../../src/git/merge-tree.js';
import { formatRefUpdates } from '../../src/git/ref-transaction.js';

const T40 = '671ec7291438511563dad9e61a78efef51c30dfa';

// Samples of `git merge-tree --write-tree -z --name-only --messages` (git 2.39).
const CONTENT_CONFLICT =
  `${T40}\0f\0\0` +
  '1\0f\0Auto-merging\0Auto-merging f\n\0' +
  '1\0f\0CONFLICT (contents)\0CONFLICT (content): Merge conflict in f\n\0';
const MODIFY_DELETE =
  `${T40}\0g\0\0` +
  '1\0g\0CONFLICT (modify/delete)\0CONFLICT (modify/delete): g deleted in main and modified in y.  Version y of g left in tree.\n\0';
const CLEAN = `${T40}\0\0`;
const RENAME_RENAME =
  'a2b4fdc254ad3bc443096d16b7f30e680a54f402\0a\0b\0old\0\0' +
  '3\0old\0a\0b\0CONFLICT (rename/rename)\0CONFLICT (rename/rename): old renamed to a in x and to b in y.\n\0';
// Defensive: a conflict whose path list came out empty (exit status 1 all the same).
const UNLISTED = `${T40}\0\0` + '1\0d\0CONFLICT (file/directory)\0CONFLICT (file/directory): d\n\0';

describe('parseMergeTree', () => {
  it('reads a clean merge: the tree and nothing else', () => {
    expect(parseMergeTree(CLEAN, 0)).toEqual({
      clean: true,
      tree: T40,
      conflictedPaths: [],
      messages: [],
    });
  });

  it('reads a content conflict: the path and git messages', () => {
    const result = parseMergeTree(CONTENT_CONFLICT, 1);
    expect(result.clean).toBe(false);
    expect(result.tree).toBe(T40);
    expect(result.conflictedPaths).toEqual(['f']);
    expect(result.messages).toEqual([
      { paths: ['f'], type: 'Auto-merging', text: 'Auto-merging f' },
      {
        paths: ['f'],
        type: 'CONFLICT (contents)',
        text: 'CONFLICT (content): Merge conflict in f',
      },
    ]);
  });

  it('reads a modify/delete conflict', () => {
    const result = parseMergeTree(MODIFY_DELETE, 1);
    expect(result.conflictedPaths).toEqual(['g']);
    expect(result.messages[0]!.type).toBe('CONFLICT (modify/delete)');
  });

  it('reads a rename/rename conflict: every path of it', () => {
    const result = parseMergeTree(RENAME_RENAME, 1);
    expect(result.conflictedPaths).toEqual(['a', 'b', 'old']);
    expect(result.messages).toEqual([
      {
        paths: ['old', 'a', 'b'],
        type: 'CONFLICT (rename/rename)',
        text: 'CONFLICT (rename/rename): old renamed to a in x and to b in y.',
      },
    ]);
  });

  it('trusts the exit status over an empty path list, taking the paths from the messages', () => {
    const result = parseMergeTree(UNLISTED, 1);
    expect(result.clean).toBe(false);
    expect(result.conflictedPaths).toEqual(['d']);
  });

  it('an exit status of 0 is clean even with informational messages', () => {
    const result = parseMergeTree(`${T40}\0\0` + '1\0f\0Auto-merging\0Auto-merging f\n\0', 0);
    expect(result.clean).toBe(true);
    expect(result.conflictedPaths).toEqual([]);
  });
});

describe('formatRefUpdates', () => {
  it('writes update, create (zero old value), unconditional and delete lines', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(
      formatRefUpdates([
        { ref: 'refs/heads/main', to: a, expected: b },
        { ref: 'refs/heads/new', to: a, expected: null },
        { ref: 'refs/pw/x', to: a },
        { ref: 'refs/pw/gone', to: null },
        { ref: 'refs/pw/gone2', to: null, expected: b },
      ]),
    ).toBe(
      `update refs/heads/main ${a} ${b}\n` +
        `update refs/heads/new ${a} ${'0'.repeat(40)}\n` +
        `update refs/pw/x ${a}\n` +
        'delete refs/pw/gone\n' +
        `delete refs/pw/gone2 ${b}\n`,
    );
  });
});
