import { describe, expect, it } from 'vitest';
import { findLikelyTypos, findPatternsOwningNothing } from '../../src/domain/scope/scope-match.js';

describe('findPatternsOwningNothing', () => {
  it('names each pattern no tracked file matches, by worker and position, and no other', () => {
    const files = ['src/api/server.ts', 'src/web/app.ts', 'docs/guide.md', 'README.md'];
    expect(
      findPatternsOwningNothing(files, [
        { owns: ['/src/api/', '/scr/api/'] },
        { owns: ['/src/web/', '*.md'] },
        { owns: ['/docs/new/', '/docs/*'] },
        { owns: [] },
      ]),
    ).toEqual([
      { worker: 0, index: 1, source: '/scr/api/' },
      { worker: 2, index: 0, source: '/docs/new/' },
    ]);
    // A pattern shadowed by an earlier one of the same worker still owns its files.
    expect(findPatternsOwningNothing(files, [{ owns: ['/src/', '/src/api/'] }])).toEqual([]);
    expect(findPatternsOwningNothing([], [{ owns: ['/a/'] }])).toEqual([
      { worker: 0, index: 0, source: '/a/' },
    ]);
  });

  it('of those, names the literal ones one typo from a path that exists, not a new path or a glob', () => {
    const files = [
      'src/core/math.js',
      'src/api/server.ts',
      'docs/index.md',
      'services/accounts/a.ts',
    ];
    expect(
      findLikelyTypos(files, [
        { owns: ['/scr/core/', '/tests/new.py', '/services/payments/'] },
        { owns: ['/doc/index.md', '/src/*.zz', 'docs/indx.md'] },
      ]),
    ).toEqual([
      { worker: 0, index: 0, source: '/scr/core/', near: '/src/core/' },
      { worker: 1, index: 0, source: '/doc/index.md', near: '/docs/index.md' },
      { worker: 1, index: 2, source: 'docs/indx.md', near: 'docs/index.md' },
    ]);
  });
});
