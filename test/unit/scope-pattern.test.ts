import { describe, expect, it } from 'vitest';
import { matchesScopePattern } from '../../src/domain/scope/scope-match.js';
import { findPatternOverlap } from '../../src/domain/scope/scope-overlap.js';
import {
  excludePathspecs,
  parseScopePattern,
  type ScopePattern,
} from '../../src/domain/scope/scope-pattern.js';

function pattern(source: string): ScopePattern {
  const parsed = parseScopePattern(source);
  if (!parsed.ok) throw new Error(`expected ${source} to parse: ${parsed.problem}`);
  return parsed.pattern;
}

function problemOf(source: string): string {
  const parsed = parseScopePattern(source);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(source)} to be rejected`);
  return parsed.problem;
}

describe('parseScopePattern: rejected patterns', () => {
  it.each([
    ['', /is empty: write a path such as/],
    ['   ', /is empty/],
    [' src/', /leading or trailing whitespace: remove it \("src\/"\)/],
    ['src/ ', /leading or trailing whitespace/],
    ['!docs/', /negation is not supported/],
    ['/', /names no path: write "\*\*"/],
    ['//', /names no path/],
    ['a//b', /empty path segment \("\/\/"\): write "a\/b"/],
    ['./src', /"\." or "\.\." segment/],
    ['src/../lib', /"\." or "\.\." segment/],
    ['src/.', /"\." or "\.\." segment/],
    ['.git/hooks', /"\.git" segment/],
    ['sub/.GIT/', /"\.git" segment/],
    ['a**b', /"\*\*" only works as a whole path segment .* write "\*" \("a\*b"\)/],
    ['src/**.ts', /inside a name write "\*" \("\*\.ts"\)/],
    ['a/***/b', /whole path segment .*\("\*\*"\)/],
    ['[abc', /unclosed "\[" in "\[abc": .* write "\\\[" for a literal "\["/],
    ['src/[a/b]', /unclosed "\["/],
    ['x[[:alpha:]', /unclosed "\["/],
    ['x[[:word:]]', /unknown character class "\[:word:\]": use one of alnum, alpha/],
    ['src\\', /ends with a lone "\\": write "\\\\" for a literal backslash/],
    ['src\\/x', /a "\\" before "\/"/],
    ['a\nb', /control character/],
    ['a\tb', /control character/],
    ['a\u0000b', /control character/],
    ['\u007f', /control character/],
  ])('rejects %j', (source, problem) => {
    const message = problemOf(source);
    expect(message).toMatch(problem);
    expect(message).not.toContain('\n');
  });

  it('quotes the pattern in every problem so the user can find it', () => {
    expect(problemOf('docs//x')).toContain('"docs//x"');
    expect(problemOf('!x')).toContain('"!x"');
  });
});

describe('parseScopePattern: compiled globs', () => {
  it.each([
    // floating: any depth
    ['*.md', ['**/*.md', '**/*.md/**']],
    ['docs/', ['**/docs/**']],
    ['package.json', ['**/package.json', '**/package.json/**']],
    ['.env*', ['**/.env*', '**/.env*/**']],
    ['*', ['**/*']],
    ['f*', ['**/f*', '**/f*/**']],
    ['日本/', ['**/日本/**']],
    // anchored: leading or middle slash
    ['/package.json', ['package.json', 'package.json/**']],
    ['/src/api/', ['src/api/**']],
    ['src/api/', ['src/api/**']],
    ['src/api', ['src/api', 'src/api/**']],
    // a lone `*` last segment owns direct children only; any other wildcard owns what is below a matching directory
    ['docs/*', ['docs/*']],
    ['/*', ['*']],
    ['/f*', ['f*', 'f*/**']],
    ['docs/*.md', ['docs/*.md', 'docs/*.md/**']],
    ['docs/v?', ['docs/v?', 'docs/v?/**']],
    ['/docs/*/', ['docs/*/**']],
    // `**`
    ['**/fixtures/**', ['**/fixtures/**']],
    ['**/fixtures', ['**/fixtures', '**/fixtures/**']],
    ['a/**/b', ['a/**/b', 'a/**/b/**']],
    ['a/**/**/b', ['a/**/b', 'a/**/b/**']],
    ['/a/**', ['a/**']],
    ['**', ['**']],
    ['**/', ['**']],
    // escapes and classes
    ['a\\*b', ['**/a\\*b', '**/a\\*b/**']],
    ['\\!important', ['**/\\!important', '**/\\!important/**']],
    ['x[ab]', ['**/x[ab]', '**/x[ab]/**']],
    ['x[]a]', ['**/x[]a]', '**/x[]a]/**']],
    ['[[:digit:]]*', ['**/[[:digit:]]*', '**/[[:digit:]]*/**']],
  ])('%s -> %j', (source, globs) => {
    const compiled = pattern(source);
    expect(compiled.source).toBe(source);
    expect(compiled.globs).toEqual(globs);
    expect(compiled.pathspecs).toEqual(globs.map((glob) => `:(top,glob)${glob}`));
  });

  it('builds exclude pathspecs from the same globs', () => {
    expect(excludePathspecs(pattern('package.json'))).toEqual([
      ':(top,glob,exclude)**/package.json',
      ':(top,glob,exclude)**/package.json/**',
    ]);
  });
});

describe('matchesScopePattern', () => {
  it.each([
    ['*.md', 'README.md', true],
    ['*.md', 'a/b/c.md', true],
    ['*.md', 'a.md.txt', false],
    ['docs/*', 'docs/a.md', true],
    ['docs/*', 'docs/x/a.md', false],
    ['docs/*', 'x/docs/a.md', false],
    ['docs/', 'x/docs/a/b.md', true],
    ['docs/', 'docs', false],
    ['/src/api/', 'src/api/x.ts', true],
    ['/src/api/', 'lib/src/api/x.ts', false],
    ['package.json', 'package.json', true],
    ['package.json', 'a/package.json', true],
    ['package.json', 'package.json/x', true],
    ['/package.json', 'a/package.json', false],
    ['**/fixtures/**', 'fixtures/a', true],
    ['**/fixtures/**', 'a/b/fixtures/c/d', true],
    ['**/fixtures/**', 'fixtures', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/xb', false],
    ['*', '.env', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['x[!a-c]', 'xd', true],
    ['x[!a-c]', 'xb', false],
    ['x[]a]', 'x]', true],
    ['x[[:upper:]]', 'xQ', true],
    ['x[[:upper:]]', 'xq', false],
    ['**', 'anything/at/all', true],
  ])('%s owns %s: %s', (source, path, expected) => {
    expect(matchesScopePattern(pattern(source), path)).toBe(expected);
  });

  it('follows git: a path equal to a glob text, or inside it, is matched (dir.c compares the text first)', () => {
    expect(matchesScopePattern(pattern('docs/*'), 'docs/*/nested.md')).toBe(true);
    expect(matchesScopePattern(pattern('/cls/x[ab]'), 'cls/x[ab]')).toBe(true);
    expect(matchesScopePattern(pattern('/cls/x[ab]'), 'cls/xab')).toBe(false);
  });
});

describe('unicode: bytes, as git compares them', () => {
  it('`?` is one byte, so it does not match a two-byte character but `??` does', () => {
    expect(matchesScopePattern(pattern('caf?'), 'café')).toBe(false);
    expect(matchesScopePattern(pattern('caf??'), 'café')).toBe(true);
    expect(matchesScopePattern(pattern('caf?'), 'cafe')).toBe(true);
    expect(matchesScopePattern(pattern('日本/'), 'x/日本/語.txt')).toBe(true);
    expect(matchesScopePattern(pattern('/日本/*.txt'), '日本/語.txt')).toBe(true);
    expect(matchesScopePattern(pattern('???'), '日')).toBe(true);
  });

  it('finds overlaps and non-overlaps byte by byte', () => {
    expect(findPatternOverlap(pattern('/x/caf??'), pattern('/x/café'))).toBe('x/café');
    expect(findPatternOverlap(pattern('/x/caf?'), pattern('/x/café'))).toBeNull();
    const witness = findPatternOverlap(pattern('[é]*'), pattern('[è]*'));
    expect(witness).not.toBeNull();
    expect(witness).not.toContain('\ufffd');
    expect(matchesScopePattern(pattern('[é]*'), witness as string)).toBe(true);
    expect(matchesScopePattern(pattern('[è]*'), witness as string)).toBe(true);
  });
});

describe('findPatternOverlap', () => {
  const overlapping: [string, string][] = [
    ['*.md', '/src/'],
    ['*.md', 'docs/*'],
    ['docs/', '/docs/'],
    ['package.json', '/packages/'],
    ['package.json', '/package.json'],
    ['**/fixtures/**', '/test/'],
    ['a/**/b', '**/c/**'],
    ['/a/*/c', '/a/b/*'],
    ['.*', '*'],
    ['x[a-c]', 'x[c-e]'],
    ['x[!a]', 'xb'],
    ['[[:digit:]]*', '*9'],
    ['**', '/deep/inside/file.txt'],
    ['/src/', '/src/api/'],
    ['src/api', '/src/api/v1/'],
    ['docs/*', 'docs/*.md'],
    ['a\\*b', 'a?b'],
    // a wildcard last segment also owns what is below a directory it matches
    ['*.md', '*.txt'],
    ['x[a-c]', 'x[d-f]'],
    ['?.txt', '??.txt'],
    ['/src/api*', '/src/api/v1/'],
    ['f*', '/foo/bar/'],
    ['/docs/*.md', '/docs/a.md/img/'],
  ];
  const disjoint: [string, string][] = [
    ['/*.md', '/*.txt'],
    ['/src/', '/test/'],
    ['docs/*', '/docs/*/'],
    ['docs/*', '/docs/guide/'],
    ['/package.json', '/packages/'],
    ['/x[a-c]', '/x[d-f]'],
    ['/x[!a]', '/xa'],
    ['/[[:digit:]]*', '/[[:alpha:]]*'],
    ['/?.txt', '/??.txt'],
    ['/src/api*', '/src/web/'],
    ['docs/*', '/docs/guide/img/'],
    ['/a/**/b', '/c/**'],
    ['/a\\*b', '/axb'],
    ['/.g?t', '/.?it'], // only ".git" would match both, and git never tracks it
  ];

  it.each(overlapping)('%s and %s overlap', (left, right) => {
    for (const [a, b] of [
      [left, right],
      [right, left],
    ] as const) {
      const witness = findPatternOverlap(pattern(a), pattern(b));
      expect(witness, `${a} vs ${b}`).not.toBeNull();
      expect(matchesScopePattern(pattern(a), witness as string), `${a} owns ${witness}`).toBe(true);
      expect(matchesScopePattern(pattern(b), witness as string), `${b} owns ${witness}`).toBe(true);
    }
  });

  it.each(disjoint)('%s and %s do not overlap', (left, right) => {
    expect(findPatternOverlap(pattern(left), pattern(right))).toBeNull();
    expect(findPatternOverlap(pattern(right), pattern(left))).toBeNull();
  });

  it('gives a readable example path', () => {
    expect(findPatternOverlap(pattern('*.md'), pattern('/src/'))).toBe('src/a.md');
    expect(findPatternOverlap(pattern('/src/'), pattern('*.md'))).toBe('src/a.md');
    expect(findPatternOverlap(pattern('package.json'), pattern('/package.json'))).toBe(
      'package.json',
    );
  });

  it('never misses an overlap that a sample path proves', () => {
    const sources = [
      '*.md',
      '*.txt',
      'docs/',
      '/docs/',
      'docs/*',
      '/docs/*/',
      'package.json',
      '/package.json',
      '/src/',
      'src/api',
      '**/api/**',
      'a/**/b',
      '.*',
      '?',
      '??',
      'caf?',
      'café',
      '[a-c]*',
      '[!a-c]*',
      '*[[:digit:]]',
    ];
    const names = ['a', 'b', 'docs', 'src', 'api', 'x.md', 'y.txt', '.env', 'package.json', 'café'];
    const leaves = [...names, '1', 'cafe', 'é'];
    const paths = [...leaves];
    for (const first of names) for (const second of leaves) paths.push(`${first}/${second}`);
    for (const first of ['a', 'docs', 'src']) {
      for (const second of ['a', 'b', 'api', 'x']) {
        for (const third of names) paths.push(`${first}/${second}/${third}`);
      }
    }
    for (const left of sources) {
      for (const right of sources) {
        const a = pattern(left);
        const b = pattern(right);
        const proof = paths.find(
          (path) => matchesScopePattern(a, path) && matchesScopePattern(b, path),
        );
        const witness = findPatternOverlap(a, b);
        if (proof !== undefined) expect(witness, `${left} vs ${right}: ${proof}`).not.toBeNull();
        if (witness !== null) {
          expect(matchesScopePattern(a, witness), `${left} owns ${witness}`).toBe(true);
          expect(matchesScopePattern(b, witness), `${right} owns ${witness}`).toBe(true);
        }
      }
    }
  });
});
