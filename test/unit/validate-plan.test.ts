import { describe, expect, it } from 'vitest';
import { parsePlanYaml, splitFrontMatter } from '../../src/config/read-plan.js';
import { DEFAULT_SETTINGS } from '../../src/domain/plan/plan.js';
import {
  findCycle,
  formatProblem,
  validateConfig,
  validatePlan,
} from '../../src/domain/plan/validate-plan.js';

const validate = (raw: unknown) => validatePlan(raw, 'plan.yaml', '', DEFAULT_SETTINGS);
const messages = (raw: unknown) => validate(raw).problems.map(formatProblem);

describe('validatePlan', () => {
  it('accepts a minimal plan and fills defaults', () => {
    const result = validate({
      name: 'auth',
      workers: [{ id: 'api', owns: ['/src/api/'], task: 'do it' }],
    });
    expect(result.problems).toEqual([]);
    expect(result.value).toMatchObject({
      name: 'auth',
      base: null,
      workers: [{ id: 'api', owns: ['/src/api/'], dependsOn: [], agent: null, stallAfter: null }],
      settings: DEFAULT_SETTINGS,
    });
  });

  it('collects every problem at once, naming file and key path', () => {
    const problems = messages({
      name: 'Bad Name',
      workers: [
        { id: 'API', task: '' },
        { id: 'web', owns: ['!src/'], task: 'x', dependsOn: ['ap'] },
        { id: 'web', owns: ['docs/'], task: 'y', stallAfter: 'soon' },
      ],
      integrate: { strategy: 'rebase' },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^plan\.yaml: name: "Bad Name" is not a valid plan name/),
        expect.stringMatching(/^plan\.yaml: workers\[0\]\.id: "API" is not a valid worker id/),
        expect.stringMatching(/^plan\.yaml: workers\[0\]\.owns: is required/),
        expect.stringMatching(/^plan\.yaml: workers\[0\]\.task: is empty/),
        expect.stringMatching(/^plan\.yaml: workers\[1\]\.owns\[0\]: "!src\/"/),
        expect.stringMatching(/^plan\.yaml: workers\[1\]\.dependsOn\[0\]: "ap" is not a worker/),
        expect.stringMatching(
          /^plan\.yaml: workers\[2\]\.id: "web" is already used by workers\[1\]/,
        ),
        expect.stringMatching(/^plan\.yaml: workers\[2\]\.stallAfter: "soon" is not a duration/),
        expect.stringMatching(/^plan\.yaml: integrate\.strategy: must be "merge" or "squash"/),
      ]),
    );
    expect(problems).toHaveLength(9);
  });

  it('accepts `owns: []` written out: a worker that only reads and reports', () => {
    const result = validate({
      name: 'review',
      workers: [
        { id: 'dev', owns: ['/src/'], task: 'write it' },
        { id: 'reviewer', owns: [], task: 'review it', dependsOn: ['dev'] },
      ],
    });
    expect(result.problems).toEqual([]);
    expect(result.value?.workers[1]).toMatchObject({ id: 'reviewer', owns: [] });
    expect(messages({ name: 'r', workers: [{ id: 'a', owns: null, task: 't' }] })).toEqual([
      expect.stringMatching(/workers\[0\]\.owns: is required: .*owns: \[\]/),
    ]);
  });

  it('takes one string as one entry, and refuses one holding a comma: a list written as a string', () => {
    expect(
      validate({ name: 'p', workers: [{ id: 'a', owns: '/zz/', task: 't' }] }).value?.workers[0]
        ?.owns,
    ).toEqual(['/zz/']);
    expect(
      messages({
        name: 'p',
        workers: [
          { id: 'a', owns: '/yy/, /ww/', task: 't' },
          { id: 'b', owns: ['/b/'], task: 't', dependsOn: 'a,c' },
        ],
      }),
    ).toEqual([
      'plan.yaml: workers[0].owns: is one string holding a comma ("/yy/, /ww/"); write a list: [/yy/, /ww/] (a name with a comma in it: ["/yy/, /ww/"])',
      'plan.yaml: workers[1].dependsOn: is one string holding a comma ("a,c"); write a list: [a, c] (a name with a comma in it: ["a,c"])',
    ]);
    expect(
      validate({ name: 'p', workers: [{ id: 'a', owns: ['/x,y/'], task: 't' }] }).problems,
    ).toEqual([]);
  });

  it('names a dependsOn cycle', () => {
    const problems = messages({
      name: 'p',
      workers: [
        { id: 'a', owns: ['/a/'], task: 't', dependsOn: ['c'] },
        { id: 'b', owns: ['/b/'], task: 't', dependsOn: ['a'] },
        { id: 'c', owns: ['/c/'], task: 't', dependsOn: ['b'] },
      ],
    });
    expect(problems).toEqual([expect.stringContaining('dependsOn has a cycle: a -> c -> b -> a')]);
  });

  it('warns about unknown keys with a "did you mean"', () => {
    const result = validate({
      name: 'p',
      workes: [],
      workers: [{ id: 'a', owns: ['/a/'], task: 't', dependson: ['x'] }],
    });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^plan\.yaml: workes: unknown key, ignored \(did you mean "workers"\?\)/,
      ),
      expect.stringMatching(
        /^plan\.yaml: workers\[0\]\.dependson: unknown key, ignored \(did you mean "dependsOn"\?\)/,
      ),
    ]);
  });

  it('rejects hostile ids and patterns without echoing control characters', () => {
    const problems = messages({
      name: 'p',
      workers: [
        { id: '../../etc', owns: ['../x'], task: 't' },
        { id: '-rf', owns: ['a\nb'], task: 't' },
        { id: 'a$(touch x)', owns: ['/ok/'], task: 't' },
      ],
    });
    expect(problems.some((p) => p.includes('"../../etc" is not a valid worker id'))).toBe(true);
    expect(problems.some((p) => p.includes('"-rf" is not a valid worker id'))).toBe(true);
    expect(problems.some((p) => p.includes('"a$(touch x)" is not a valid worker id'))).toBe(true);
    expect(problems.some((p) => p.includes('workers[0].owns[0]'))).toBe(true);
    expect(problems.some((p) => p.includes('workers[1].owns[0]: "a\\x0ab"'))).toBe(true);
    expect(problems.join('\n')).not.toMatch(/a\nb/);
  });

  it('overrides settings from the plan over config defaults', () => {
    const result = validate({
      name: 'p',
      branchPrefix: 'agents/',
      stallAfter: '45m',
      agent: { command: 'codex' },
      integrate: { verify: 'npm test', strategy: 'squash', verifyMode: 'each', target: 'release' },
      workers: [{ id: 'a', owns: ['/a/'], task: 't', agent: 'aider', stallAfter: '2h' }],
    });
    expect(result.problems).toEqual([]);
    expect(result.value?.settings).toEqual({
      ...DEFAULT_SETTINGS,
      branchPrefix: 'agents/',
      stallAfter: '45m',
      agent: { command: 'codex' },
      integrate: { verify: 'npm test', strategy: 'squash', verifyMode: 'each', target: 'release' },
    });
    expect(result.value?.workers[0]).toMatchObject({ agent: 'aider', stallAfter: '2h' });
  });

  it('rejects a branch prefix that makes invalid branch names', () => {
    expect(
      messages({
        name: 'p',
        branchPrefix: 'a..b/',
        workers: [{ id: 'a', owns: ['/a'], task: 't' }],
      }),
    ).toEqual([expect.stringContaining('branchPrefix: makes invalid branch names')]);
  });
});

describe('validateConfig', () => {
  it('accepts an empty config as the defaults', () => {
    expect(validateConfig(null, '.parallelrc.yaml').value).toEqual({
      settings: DEFAULT_SETTINGS,
      plan: null,
    });
  });

  it('reports wrong types and unknown keys', () => {
    const result = validateConfig(
      { stallAfter: 5, agnet: { command: 'x' }, plan: 3 },
      '.parallelrc.yaml',
    );
    expect(result.problems.map(formatProblem)).toEqual([
      '.parallelrc.yaml: stallAfter: must be a string, found number 5',
      '.parallelrc.yaml: plan: must be a plan file path or an inline plan mapping, found number 3',
    ]);
    expect(result.warnings.map(formatProblem)[0]).toMatch(
      /agnet: unknown key.*did you mean "agent"/,
    );
  });
});

describe('plan files', () => {
  it('splits Markdown front matter from the context prose', () => {
    const text = '---\nname: p\nworkers: []\n---\n\n# Context\n\nBe nice.\n';
    expect(splitFrontMatter(text, 'plan.md')).toEqual({
      yaml: 'name: p\nworkers: []',
      context: '# Context\n\nBe nice.',
      lineOffset: 1,
    });
  });

  it('refuses Markdown without front matter, and says when only its closing line is missing', () => {
    expect(() => splitFrontMatter('# just prose\n', 'plan.md')).toThrow(
      /must start with YAML front matter/,
    );
    expect(() => splitFrontMatter('---\nname: p\nworkers: []\n', 'plan.md')).toThrow(
      'plan.md: the YAML front matter opened by "---" on line 1 has no closing "---" line',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const parsed = parsePlanYaml(
      { yaml: 'name: p\nworkers: [\n', context: '', lineOffset: 1 },
      'plan.md',
    );
    expect(parsed.problems[0]).toMatchObject({
      file: 'plan.md',
      path: expect.stringMatching(/^line \d+$/),
    });
    // The message ends with the column, not with a colon before a code frame it no longer shows.
    const indented = parsePlanYaml(
      {
        yaml: 'name: p\nworkers:\n  - id: a\n    owns: [/a/\n    task: x\n',
        context: '',
        lineOffset: 0,
      },
      'plan.yaml',
    );
    expect(indented.problems[0]?.message).toMatch(/^YAML: .* \(column \d+\)$/);
  });
});

describe('findCycle', () => {
  it('returns null for a DAG and the cycle otherwise', () => {
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeNull();
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toEqual(['a', 'b', 'a']);
  });
});

describe('ownership overlaps', () => {
  it('are reported with every other problem and the warnings, in one pass', () => {
    const result = validate({
      name: 'p',
      stalAfter: '1h',
      workers: [
        { id: 'api', owns: ['/tests/'], task: 't' },
        { id: 'web', owns: ['/tests/api/'], task: 't', dependsOn: ['nobody'] },
      ],
    });
    expect(result.problems.map(formatProblem)).toEqual([
      expect.stringContaining('workers[1].dependsOn[0]: "nobody" is not a worker'),
      'plan.yaml: workers[0].owns[0]: "/tests/" (api) and workers[1].owns[0] "/tests/api/" (web) could both own a path such as "tests/api/a"; one contains the other: narrow one of them so no path is owned twice',
    ]);
    expect(result.warnings.map(formatProblem)).toEqual([
      expect.stringContaining('stalAfter: unknown key, ignored (did you mean "stallAfter"?)'),
    ]);
  });

  it('refuses wildcard patterns that own what is below a directory the other matches', () => {
    const floating = messages({
      name: 'p',
      workers: [
        { id: 'a', owns: ['*.md'], task: 't' },
        { id: 'b', owns: ['*.txt'], task: 't' },
      ],
    });
    expect(floating).toEqual([
      'plan.yaml: workers[0].owns[0]: "*.md" (a) and workers[1].owns[0] "*.txt" (b) could both own a path such as "a.txt/a.md"; anchor "*.md" and "*.txt" at the root with a leading "/" (e.g. "/*.md"), or narrow one of them so no path is owned twice',
    ]);
    const anchored = messages({
      name: 'p',
      workers: [
        { id: 'a', owns: ['/src/api*'], task: 't' },
        { id: 'b', owns: ['/src/api/v1/'], task: 't' },
      ],
    });
    expect(anchored).toEqual([
      'plan.yaml: workers[0].owns[0]: "/src/api*" (a) and workers[1].owns[0] "/src/api/v1/" (b) could both own a path such as "src/api/v1/a"; one contains the other: narrow one of them so no path is owned twice',
    ]);
    expect(
      messages({
        name: 'p',
        workers: [
          { id: 'a', owns: ['/*.md', '/docs/*'], task: 't' },
          { id: 'b', owns: ['/*.txt', '/docs/guide/'], task: 't' },
        ],
      }),
    ).toEqual([]);
  });

  it('suggest anchoring a floating pattern', () => {
    const problems = messages({
      name: 'p',
      workers: [
        { id: 'a', owns: ['docs/'], task: 't' },
        { id: 'b', owns: ['*.md'], task: 't' },
      ],
    });
    expect(problems).toEqual([
      expect.stringContaining(
        'anchor "docs/" and "*.md" at the root with a leading "/" (e.g. "/docs/"), or narrow one of them',
      ),
    ]);
  });
});

describe('findTrackedOverlaps', () => {
  it('lists the tracked files two workers both own', async () => {
    const { findTrackedOverlaps } = await import('../../src/domain/plan/overlaps.js');
    const plan = validate({
      name: 'p',
      workers: [
        { id: 'a', owns: ['/a/'], task: 't' },
        { id: 'b', owns: ['/b/'], task: 't' },
      ],
    }).value!;
    const problems = findTrackedOverlaps(
      plan,
      new Map([
        ['a', ['x/1', 'x/2']],
        ['b', ['x/2', 'y']],
      ]),
    );
    expect(problems.map(formatProblem)).toEqual([
      'plan.yaml: workers: "a" and "b" both own 1 tracked file: x/2; give each file to one worker',
    ]);
  });
});

describe('patterns that can own nothing, and overlap advice that helps', () => {
  const check = (owns: string[][]) =>
    validate({ name: 'p', workers: owns.map((o, i) => ({ id: `w${i}`, owns: o, task: 't' })) });

  it('warns on an empty character class and on a file-system path read from the repository root', () => {
    const result = check([['/etc/passwd', 'src/[z-a].ts', '/src/', '/lib/x.ts']]);
    expect(result.problems).toEqual([]);
    expect(result.warnings.map(formatProblem)).toEqual([
      expect.stringContaining(
        'workers[0].owns[0]: "/etc/passwd" looks like a file-system path, but a leading "/" means the repository root',
      ),
      expect.stringContaining(
        'workers[0].owns[1]: "src/[z-a].ts" has the range "z-a", which goes high to low',
      ),
    ]);
  });

  it('"**" overlaps whatever it is anchored to: no "/**" advice', () => {
    const messages = check([['**'], ['/src/']]).problems.map(formatProblem);
    expect(messages).toHaveLength(1);
    expect(messages[0]).not.toContain('"/**"');
    expect(messages[0]).toContain('"**" owns every path');
  });

  it('still suggests anchoring where it removes the overlap', () => {
    const messages = check([['**/build/'], ['/src/']]).problems.map(formatProblem);
    expect(messages[0]).toContain('(e.g. "/build/")');
  });
});
