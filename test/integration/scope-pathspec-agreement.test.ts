import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchOwnedFiles, matchesScopePattern } from '../../src/domain/scope/scope-match.js';
import { parseScopePattern } from '../../src/domain/scope/scope-pattern.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

/**
 * One semantics: for every case, the in-memory matcher and git itself (asked
 * through the compiled pathspecs) must both give the expected answer.
 */
interface Case {
  pattern: string;
  path: string;
  expected: boolean;
}

const owns = (pattern: string, path: string): Case => ({ pattern, path, expected: true });
const skips = (pattern: string, path: string): Case => ({ pattern, path, expected: false });

const corpus: Case[] = [
  // floating: any depth
  owns('*.md', 'README.md'),
  owns('*.md', 'docs/guide/deep/c.md'),
  owns('*.md', 'uni/café.md'),
  skips('*.md', 'docs/notes.txt'),
  owns('**/*.md', 'docs/a.md'),
  owns('docs/', 'docs/a.md'),
  owns('docs/', 'docs/guide/deep/c.md'),
  owns('docs/', 'x/docs/d.md'),
  skips('docs/', 'README.md'),
  owns('api/', 'lib/src/api/other.ts'),
  owns('my file.txt', 'sp/my file.txt'),
  // anchored: leading or middle slash
  owns('/docs/', 'docs/guide/b.md'),
  skips('/docs/', 'x/docs/d.md'),
  owns('/src/api/', 'src/api/handler.ts'),
  owns('/src/api/', 'src/api/v1/route.ts'),
  skips('/src/api/', 'lib/src/api/other.ts'),
  skips('/src/api/', 'src/main.ts'),
  owns('src/api/', 'src/api/handler.ts'),
  skips('src/api/', 'lib/src/api/other.ts'),
  owns('src/main.ts', 'src/main.ts'),
  skips('src/main.ts', 'lib/src/main.ts'),
  owns('/src/*.ts', 'src/main.ts'),
  skips('/src/*.ts', 'src/api/handler.ts'),
  // a literal last segment owns a file of that name and everything below a directory of that name
  owns('package.json', 'package.json'),
  owns('package.json', 'packages/app/package.json'),
  skips('package.json', 'packages/app/index.ts'),
  owns('/package.json', 'package.json'),
  skips('/package.json', 'packages/app/package.json'),
  owns('settings', 'config/settings/a.json'),
  owns('settings', 'other/settings'),
  owns('settings/', 'config/settings/a.json'),
  skips('settings/', 'other/settings'),
  skips('/settings', 'config/settings/a.json'),
  owns('config/settings', 'config/settings/a.json'),
  // a lone `*` last segment owns direct children only (CODEOWNERS); any other wildcard last segment also owns what is below a directory it matches
  owns('docs/*', 'docs/a.md'),
  owns('docs/*', 'docs/notes.txt'),
  skips('docs/*', 'docs/guide/b.md'),
  owns('docs/*.md', 'docs/a.md'),
  skips('docs/*.md', 'docs/notes.txt'),
  skips('docs/*.md', 'docs/guide/b.md'),
  skips('docs/*.md', 'x/docs/d.md'),
  owns('/docs/*/', 'docs/guide/b.md'),
  owns('/docs/*/', 'docs/guide/deep/c.md'),
  skips('/docs/*/', 'docs/a.md'),
  // `?` is one byte
  owns('/q/?.txt', 'q/e.txt'),
  skips('/q/?.txt', 'q/é.txt'),
  skips('/q/?.txt', 'q/ab.txt'),
  owns('/q/??.txt', 'q/é.txt'),
  owns('/q/??.txt', 'q/ab.txt'),
  owns('/q/??.txt', 'q/a1.txt'),
  skips('/q/??.txt', 'q/abc.txt'),
  // `**`: leading, middle, trailing
  owns('**/fixtures/**', 'fixtures/top.json'),
  owns('**/fixtures/**', 'deep/a/b/c/fixtures/f.json'),
  owns('**/fixtures/**', 'deep/fixtures/x/y.json'),
  skips('**/fixtures/**', 'deep/notfixtures/z.json'),
  owns('/deep/**', 'deep/fixtures/x/y.json'),
  skips('/deep/**', 'fixtures/top.json'),
  owns('/deep/**/y.json', 'deep/fixtures/x/y.json'),
  owns('/deep/**/z.json', 'deep/notfixtures/z.json'),
  owns('/fixtures/**/top.json', 'fixtures/top.json'),
  skips('/deep/**/f.json', 'fixtures/top.json'),
  owns('src/**/*.ts', 'src/main.ts'),
  owns('src/**/*.ts', 'src/api/v1/route.ts'),
  skips('src/**/*.ts', 'lib/src/api/other.ts'),
  owns('**', 'README.md'),
  owns('**', 'deep/a/b/c/fixtures/f.json'),
  // escaped wildcards are literal characters
  owns('/star/a\\*b.txt', 'star/a*b.txt'),
  skips('/star/a\\*b.txt', 'star/axb.txt'),
  owns('/star/a*b.txt', 'star/axb.txt'),
  owns('/star/a?b.txt', 'star/a*b.txt'),
  owns('/star/a\\?b.txt', 'star/a?b.txt'),
  skips('/star/a\\?b.txt', 'star/axb.txt'),
  // character classes
  owns('/cls/file[1-3].log', 'cls/file1.log'),
  owns('/cls/file[1-3].log', 'cls/file2.log'),
  skips('/cls/file[1-3].log', 'cls/file9.log'),
  owns('/cls/file[!1-3].log', 'cls/file9.log'),
  owns('/cls/file[!1-3].log', 'cls/fileA.log'),
  skips('/cls/file[!1-3].log', 'cls/file1.log'),
  owns('/cls/file[^1-3].log', 'cls/file-.log'),
  owns('/cls/file[]].log', 'cls/file].log'),
  skips('/cls/file[]].log', 'cls/file1.log'),
  owns('/cls/file[]a-].log', 'cls/file-.log'),
  owns('/cls/file[[:alpha:]].log', 'cls/fileA.log'),
  skips('/cls/file[[:alpha:]].log', 'cls/file9.log'),
  owns('/cls/file[![:digit:]].log', 'cls/file].log'),
  skips('/cls/file[![:digit:]].log', 'cls/file2.log'),
  owns('/cls/file[\\]].log', 'cls/file].log'),
  owns('/cls/file[[:x].log', 'cls/file:.log'), // `[:` without `:]` is a literal `[`
  // dotfiles are ordinary files
  owns('*', '.env'),
  owns('.*', '.env'),
  owns('.*', 'dot/.hidden'),
  skips('.*', 'dot/visible'),
  owns('/dot/*', 'dot/.hidden'),
  owns('/dot/*', 'dot/visible'),
  owns('/.env', '.env'),
  // spaces
  owns('/sp/my file.txt', 'sp/my file.txt'),
  skips('/sp/my file.txt', 'sp/my-file.txt'),
  owns('/sp/my?file.txt', 'sp/my-file.txt'),
  owns('/sp/* *', 'sp/my file.txt'),
  skips('/sp/* *', 'sp/my-file.txt'),
  // unicode
  owns('/uni/caf?.md', 'uni/cafe.md'),
  skips('/uni/caf?.md', 'uni/café.md'),
  owns('/uni/caf??.md', 'uni/café.md'),
  skips('/uni/caf??.md', 'uni/cafe.md'),
  owns('/uni/café.md', 'uni/café.md'),
  owns('/uni/caf[[:alpha:]].md', 'uni/cafe.md'),
  skips('/uni/caf[[:alpha:]].md', 'uni/café.md'),
  owns('日本/', 'uni/日本/語.txt'),
  skips('日本/', 'uni/日本語.txt'),
  owns('/uni/日本*', 'uni/日本語.txt'),
  owns('/uni/日本*', 'uni/日本/語.txt'),
  skips('/uni/日本?', 'uni/日本語.txt'),
  skips('/uni/日本*.txt', 'uni/日本/語.txt'),
  owns('語.txt', 'uni/日本/語.txt'),
  // git quirk (dir.c match_pathspec_item): the glob's own text also matches as a literal path
  owns('/quirk/*', 'quirk/a.txt'),
  owns('/quirk/*', 'quirk/*/inner.txt'),
  owns('/quirk/x[ab]', 'quirk/xa'),
  owns('/quirk/x[ab]', 'quirk/x[ab]'),
];

/**
 * The published CODEOWNERS pattern table of a widely used matcher
 * (github.com/hmarr/codeowners, testdata/patterns.json), case for case, as
 * pattern -> paths owned / not owned. Its one directory entry (`foo/bar/`
 * for `foo/**\/`) is left out: git tracks files, and `foo/bar/baz` stands for it.
 */
const codeownersTable: [pattern: string, owned: string[], notOwned: string[]][] = [
  ['foo', ['foo', 'foo/bar', 'bar/foo', 'bar/foo/baz'], ['foo.txt', 'bar/foo.txt', 'bar/baz']],
  ['/foo', ['foo', 'foo/bar', 'foo/bar/baz'], ['fool.txt', 'bar/foo', 'bar/baz', 'bar/foo/baz']],
  [
    'foo/',
    ['foo/bar', 'foo/bar/baz', 'bar/foo/baz', 'bar/foo/baz/qux'],
    ['foo', 'bar/foo', 'bar/baz'],
  ],
  [
    '/foo/',
    ['foo/bar', 'foo/bar/baz'],
    ['foo', 'bar/foo', 'bar/baz', 'bar/foo/baz', 'bar/foo/baz/qux'],
  ],
  ['foo/bar', ['foo/bar', 'foo/bar/baz'], ['foo/bart', 'baz/foo/bar', 'baz/foo/bar/qux']],
  ['/foo/bar', ['foo/bar', 'foo/bar/baz'], ['foo/bart', 'baz/foo/bar', 'baz/foo/bar/qux']],
  ['foo/bar/', ['foo/bar/baz'], ['foo/bar', 'foo/bart', 'baz/foo/bar', 'baz/foo/bar/qux']],
  [
    '/foo/bar/',
    ['foo/bar/baz', 'foo/bar/baz/qux'],
    ['foo/bar', 'foo/bart', 'baz/foo/bar', 'baz/foo/bar/qux'],
  ],
  ['*', ['foo', 'foo/bar', 'bar/foo', 'bar/foo/baz', 'bar/baz', 'xfoo'], []],
  ['f*', ['foo', 'foo/bar', 'foo/bar/baz', 'bar/foo', 'bar/foo/baz'], ['bar/baz', 'xfoo']],
  ['/*', ['foo', 'bar'], ['foo/bar', 'foo/bar/baz']],
  ['/f*', ['foo', 'foo/bar', 'foo/bar/baz'], ['bar/foo', 'bar/foo/baz', 'bar/baz', 'xfoo']],
  ['f*/', ['foo/bar', 'bar/foo/baz'], ['foo', 'bar/foo', 'bar/baz', 'xfoo']],
  ['/*/', ['foo/bar', 'bar/foo', 'bar/foo/baz'], ['foo']],
  ['/f*/', ['foo/bar'], ['foo', 'bar/foo', 'bar/foo/baz', 'bar/baz', 'xfoo']],
  ['f\\*o', ['f*o'], ['foo']],
  ['foo/*', ['foo/bar'], ['foo', 'foo/bar/baz', 'bar/foo', 'bar/foo/baz', 'bar/baz', 'xfoo']],
  [
    'foo/*.txt',
    ['foo/bar.txt'],
    ['foo', 'foo/bar/baz.txt', 'qux/foo/bar.txt', 'qux/foo/bar/baz.txt'],
  ],
  ['foo/*/baz', ['foo/bar/baz', 'foo/bar/baz/qux'], ['foo', 'foo/bar', 'foo/baz']],
  ['f?o', ['foo'], ['fo', 'fooo']],
  ['f\\?o', ['f?o'], ['foo']],
  ['**/foo/bar', ['foo/bar', 'qux/foo/bar', 'qux/foo/bar/baz'], ['foo/baz/bar', 'qux/foo/baz/bar']],
  ['**/*bar*', ['bar', 'foo/bar', 'foo/rebar', 'foo/barrio', 'foo/qux/bar'], []],
  ['foo/bar/**', ['foo/bar/baz', 'foo/bar/baz/qux'], ['foo/bar', 'qux/foo/bar', 'qux/foo/bar/baz']],
  [
    'foo/**/bar',
    ['foo/bar', 'foo/bar/baz', 'foo/qux/bar/baz', 'foo/qux/quux/bar/baz', 'foo/bar/baz/qux'],
    ['qux/foo/bar', 'qux/foo/bar/baz'],
  ],
  ['foo/**/', ['foo/bar', 'foo/bar/baz'], ['foo']],
  [
    'foo/**/bar/b*',
    ['foo/bar/baz', 'foo/qux/bar/baz'],
    ['foo/bar', 'foo/bar/qux', 'foo/qux/bar', 'foo/qux/bar/qux'],
  ],
];

const codeownersCases: Case[] = codeownersTable.flatMap(([pattern, owned, notOwned]) => [
  ...owned.map((path) => owns(pattern, path)),
  ...notOwned.map((path) => skips(pattern, path)),
]);

const allCases = [...corpus, ...codeownersCases];
const paths = [...new Set(allCases.map((c) => c.path))];
const patterns = [...new Set(allCases.map((c) => c.pattern))];

/**
 * A path that is a file in one case is a directory in another (`foo`,
 * `foo/bar`), so the paths are spread over several repositories, each
 * holding no file that is also another file's directory.
 */
function spreadOverRepositories(all: string[]): string[][] {
  const layers: string[][] = [];
  const clash = (a: string, b: string): boolean => a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (const path of all) {
    const layer = layers.find((held) => !held.some((other) => clash(path, other)));
    if (layer) layer.push(path);
    else layers.push([path]);
  }
  return layers;
}

describe('scope patterns: the TypeScript matcher and git pathspecs agree', () => {
  const layers = spreadOverRepositories(paths);
  const repos: TempRepo[] = [];
  const gitOwned = new Map<string, Set<string>>();

  // One git call per pattern and repository: some hundreds, slow on a loaded
  // machine; the event loop turns between them so vitest's progress reports
  // (onTaskUpdate, 60 s) are never held up.
  beforeAll(async () => {
    for (const layer of layers) {
      const repo = createTempRepo({
        files: Object.fromEntries(layer.map((path) => [path, `${path}\n`])),
      });
      repos.push(repo);
      for (const source of patterns) {
        await new Promise((resolve) => setImmediate(resolve));
        const parsed = parseScopePattern(source);
        if (!parsed.ok) throw new Error(`corpus pattern ${source} is invalid: ${parsed.problem}`);
        const output = repo.git(['ls-files', '-z', '--', ...parsed.pattern.pathspecs]);
        const owned = gitOwned.get(source) ?? new Set<string>();
        for (const path of output.split('\0')) if (path !== '') owned.add(path);
        gitOwned.set(source, owned);
      }
    }
  }, 180_000);

  afterAll(() => {
    for (const repo of repos) repo.cleanup();
  });

  it('has a corpus of at least 70 cases and the whole CODEOWNERS table, every path a real tracked file', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(70);
    expect(codeownersTable).toHaveLength(27);
    expect(codeownersCases).toHaveLength(144);
    const tracked = repos.flatMap((repo) =>
      repo.git(['ls-files', '-z']).split('\0').filter(Boolean),
    );
    expect(tracked).toHaveLength(paths.length);
    expect(new Set(tracked)).toEqual(new Set(paths));
  });

  it.each(allCases)('$pattern owns $path: $expected', ({ pattern, path, expected }) => {
    const parsed = parseScopePattern(pattern);
    if (!parsed.ok) throw new Error(parsed.problem);
    expect(matchesScopePattern(parsed.pattern, path), 'TypeScript matcher').toBe(expected);
    expect(gitOwned.get(pattern)?.has(path), 'git ls-files').toBe(expected);
  });

  it('agrees with git on every corpus path, not only the listed cases', () => {
    for (const source of patterns) {
      const parsed = parseScopePattern(source);
      if (!parsed.ok) throw new Error(parsed.problem);
      const ours = paths.filter((path) => matchesScopePattern(parsed.pattern, path));
      expect(new Set(ours), source).toEqual(gitOwned.get(source));
    }
  });
});

describe("setup's one-pass ownership (matchOwnedFiles) and git pathspecs agree", () => {
  it('gives every pattern, as a worker of its own, exactly the files git lists for it', () => {
    const files = ['README.md', 'docs/a.md', 'docs/guide/b.md', 'uni/café.md', 'uni/日本/語.txt'];
    const repo = createTempRepo({ files: Object.fromEntries(files.map((f) => [f, `${f}\n`])) });
    try {
      const sources = ['*.md', '/docs/*', '日本/', '/uni/caf??.md', 'README.md', '/nothing/'];
      const workers = sources.map((source) => ({ owns: [source] }));
      const tracked = repo.git(['ls-files', '-z']).split('\0').filter(Boolean);
      const ours = matchOwnedFiles(tracked, workers);
      sources.forEach((source, i) => {
        const parsed = parseScopePattern(source);
        if (!parsed.ok) throw new Error(parsed.problem);
        const git = repo
          .git(['ls-files', '-z', '--', ...parsed.pattern.pathspecs])
          .split('\0')
          .filter(Boolean);
        expect(ours[i], source).toEqual(git);
      });
    } finally {
      repo.cleanup();
    }
  });
});
