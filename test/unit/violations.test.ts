import { describe, expect, it } from 'vitest';
import { attributeCommits } from '../../src/domain/history/own-commits.js';
import {
  judgeCommits,
  parseDenseCombinedPaths,
  parseRange,
  unquoteGitPath,
  type DagCommit,
} from '../../src/domain/scope/violations.js';
import {
  parseDagLog,
  parseDiffTreeNames,
  parseNameOnlyLog,
} from '../../src/git/find-violations.js';
import { comparePlans, planToJudge } from '../../src/domain/plan/trust-check.js';
import type { CompiledPlan } from '../../src/domain/plan/plan.js';

/** A DAG from `sha:parent,parent` specs, listed newest first as git log does. */
function dag(...specs: string[]): Map<string, DagCommit> {
  return new Map(
    specs.map((spec) => {
      const [sha, parents = ''] = spec.split(':');
      return [
        sha!,
        { sha: sha!, parents: parents.split(',').filter(Boolean), message: `[CHECKPOINT] ${sha}` },
      ];
    }),
  );
}

const tips = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe('attributeCommits', () => {
  it('gives a worker its own line; a provider merged in keeps its commits', () => {
    // base <- a1 <- a2 <- m(a2, w1) on api; base <- w1 on web.
    const graph = dag('m:a2,w1', 'a2:a1', 'a1:base', 'w1:base');
    const owners = attributeCommits(graph, tips({ api: ['m'], web: ['w1'] }));
    expect(Object.fromEntries(owners)).toEqual({
      m: ['api'],
      a2: ['api'],
      a1: ['api'],
      w1: ['web'],
    });
  });

  it('shares a commit both fast-forwarded to', () => {
    const graph = dag('a1:w1', 'w1:base');
    const owners = attributeCommits(graph, tips({ api: ['a1'], web: ['w1'] }));
    expect(owners.get('w1')).toEqual(['api', 'web']);
    expect(owners.get('a1')).toEqual(['api']);
  });

  it("still judges a commit hidden on the second-parent side of a worker's own merge", () => {
    const graph = dag('m:a1,s1', 's1:a1', 'a1:base');
    expect(attributeCommits(graph, tips({ api: ['m'] })).get('s1')).toEqual(['api']);
  });

  it("counts an extra tip (the new value of a ref update) as the worker's", () => {
    const graph = dag('n:a1', 'a1:base');
    expect(attributeCommits(graph, tips({ api: ['a1', 'n'], web: [] })).get('n')).toEqual(['api']);
  });
});

describe('judgeCommits', () => {
  const workers = [
    { id: 'api', owns: ['/src/api/'] },
    { id: 'web', owns: ['/src/web/'] },
  ];
  it("reports paths outside every owner's scope with their owner, and protocol breaks", () => {
    const graph = dag('c2:c1', 'c1:base');
    graph.get('c2')!.message = 'wip';
    const violations = judgeCommits({
      dag: graph,
      owners: new Map([
        ['c1', ['api', 'web']],
        ['c2', ['api']],
      ]),
      outside: new Map([
        [
          'api',
          new Map([
            ['c1', ['src/web/a.ts', 'README.md']],
            ['c2', []],
          ]),
        ],
        ['web', new Map([['c1', ['README.md']]])],
      ]),
      workers,
      kinds: ['scope', 'protocol'],
    });
    expect(violations).toEqual([
      {
        worker: 'api',
        commit: 'c1',
        kind: 'scope',
        path: 'README.md',
        owner: null,
        header: '[CHECKPOINT] c1',
        problem: 'changes README.md, which is owned by nobody',
      },
      {
        worker: 'api',
        commit: 'c2',
        kind: 'protocol',
        header: 'wip',
        problem: expect.stringContaining('does not start'),
      },
    ]);
  });
});

describe('parsers of git output', () => {
  it('reads the paths of `diff --cc` headers, C-quoted or not', () => {
    const patch = [
      'abc',
      'diff --cc src/a.ts',
      'index 1,2..3',
      '@@@ -1,1 -1,1 +1,1 @@@',
      'diff --cc "src/q\\"uote\\303\\274.ts"',
      'diff --cc "tab\\there"',
    ].join('\n');
    expect(parseDenseCombinedPaths(patch)).toEqual(['src/a.ts', 'src/q"uoteü.ts', 'tab\there']);
    expect(unquoteGitPath('plain name')).toBe('plain name');
  });

  it('splits diff-tree --stdin output by the commits it was given', () => {
    const out = ['c1', 'a.ts', 'b.ts', 'c2', 'c3', 'c.ts', ''].join('\0');
    expect(Object.fromEntries(parseDiffTreeNames(out, ['c1', 'c2', 'c3']))).toEqual({
      c1: ['a.ts', 'b.ts'],
      c2: [],
      c3: ['c.ts'],
    });
  });

  it('splits git log -z --format=/%H --name-only output by its commit headers', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const c = 'c'.repeat(40);
    // A path that looks like a SHA, one starting with a newline (first and later in
    // its commit), a commit with no paths; git puts a newline before a commit's first path.
    const out = [
      `/${a}`,
      `\n${b}`,
      'src/x.ts',
      `/${b}`,
      `/${c}`,
      '\n\nroot.txt',
      '\nlater',
      '',
    ].join('\0');
    expect(Object.fromEntries(parseNameOnlyLog(out))).toEqual({
      [a]: [b, 'src/x.ts'],
      [b]: [],
      [c]: ['\nroot.txt', '\nlater'],
    });
    expect(parseNameOnlyLog('').size).toBe(0);
  });

  it('reads git log -z records, messages with any text', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const log = `${a}\x1f${b}\x1f[CHECKPOINT] one\n\nbody\x1fwith a separator\n\0\n${b}\x1f\x1froot\n\0`;
    const parsed = parseDagLog(log);
    expect(parsed.get(a)).toEqual({
      sha: a,
      parents: [b],
      message: '[CHECKPOINT] one\n\nbody\x1fwith a separator',
    });
    expect(parsed.get(b)).toEqual({ sha: b, parents: [], message: 'root' });
  });

  it('reads ranges', () => {
    expect(parseRange('main..HEAD')).toEqual({ from: 'main', to: 'HEAD' });
    expect(parseRange('..x')).toEqual({ from: 'HEAD', to: 'x' });
    expect(parseRange('abc')).toEqual({ from: null, to: 'abc' });
    expect(parseRange('a...b')).toBeNull();
    expect(parseRange('')).toBeNull();
  });
});

describe('trust check', () => {
  const worker = (id: string, owns: string[], pathspecs: string[]) => ({
    id,
    branch: `pw/p/${id}`,
    worktree: `/w/${id}`,
    owns,
    pathspecs,
    task: '',
    dependsOn: [],
    agentCommand: '',
    stallAfterMs: 1,
  });
  const plan = (workers: ReturnType<typeof worker>[]): CompiledPlan => ({
    version: 1,
    name: 'p',
    base: 'main',
    baseCommit: 'x',
    target: 'main',
    repoRoot: '/r',
    source: '/r/plan.yaml',
    context: '',
    stallAfterMs: 1,
    integrate: { target: 'main', verify: null, verifyMode: 'end', strategy: 'merge' },
    workers,
  });
  it("finds a widened scope and judges with the plan file's", () => {
    const file = plan([worker('api', ['/src/api/'], [':(top,glob)src/api/**'])]);
    const trusted = plan([
      worker('api', ['/src/api/', '/src/web/'], [':(top,glob)src/api/**', ':(top,glob)src/web/**']),
    ]);
    const problems = comparePlans(trusted, file, {
      plan: 'pw/p/plan.json',
      source: '/r/plan.yaml',
    });
    expect(problems).toEqual([
      expect.objectContaining({
        worker: 'api',
        problem: expect.stringContaining('in the trusted plan but /src/api/ in /r/plan.yaml'),
      }),
    ]);
    expect(planToJudge(trusted, file).workers[0]!.owns).toEqual(['/src/api/']);
    const edited = plan([worker('api', ['/src/api/'], [':(top,glob)**'])]);
    expect(comparePlans(edited, null, { plan: 'plan.json', source: 's' })[0]!.problem).toContain(
      'do not match its patterns',
    );
  });
});
