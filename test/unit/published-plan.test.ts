import { describe, expect, it } from 'vitest';
import { compilePlan } from '../../src/domain/plan/compile-plan.js';
import { DEFAULT_SETTINGS, type Plan } from '../../src/domain/plan/plan.js';
import { parsePublishedPlan, relocatePlan } from '../../src/domain/plan/published-plan.js';

const BASE = 'c'.repeat(40);

function published(): Record<string, unknown> {
  const plan: Plan = {
    name: 'feat',
    base: 'main',
    context: 'context',
    settings: DEFAULT_SETTINGS,
    source: '/machine-a/plan.yaml',
    workers: [
      { id: 'api', owns: ['/src/api/'], task: 'api', dependsOn: [], agent: null, stallAfter: null },
      {
        id: 'web',
        owns: ['*.css'],
        task: 'web',
        dependsOn: ['api'],
        agent: null,
        stallAfter: null,
      },
    ],
  };
  const compiled = compilePlan(plan, {
    mainWorktree: '/machine-a/repo',
    base: 'main',
    baseCommit: BASE,
  });
  return JSON.parse(JSON.stringify(compiled)) as Record<string, unknown>;
}

describe('parsePublishedPlan', () => {
  it('reads the plan setup wrote on another machine, byte for byte the same when written again', () => {
    const text = `${JSON.stringify(published(), null, 2)}\n`;
    const parsed = parsePublishedPlan(text, 'feat');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(`${JSON.stringify(parsed.plan, null, 2)}\n`).toBe(text);
  });

  it('compiles the pathspecs again from the patterns, never taking them as written', () => {
    const raw = published();
    const workers = raw.workers as { pathspecs: string[] }[];
    workers[0]!.pathspecs = [':(top,glob)**'];
    const parsed = parsePublishedPlan(JSON.stringify(raw), 'feat');
    expect(parsed.ok && parsed.plan.workers[0]!.pathspecs).toEqual(
      (published().workers as { pathspecs: string[] }[])[0]!.pathspecs,
    );
  });

  it('refuses what could become a path, a ref or an option, naming every problem', () => {
    const raw = published();
    const workers = raw.workers as Record<string, unknown>[];
    workers[0]!.id = '../../etc';
    workers[0]!.branch = '-x';
    workers[1]!.owns = ['../up'];
    raw.base = 'main..x';
    raw.baseCommit = 'HEAD';
    const parsed = parsePublishedPlan(JSON.stringify(raw), 'other');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problems).toEqual([
        'its name is "feat", not "other"',
        'base contains "..", "@{" or "//"',
        'baseCommit is not a commit id',
        'workers[0].id: not a worker id',
        'workers[0].branch starts with "-"',
        expect.stringContaining('workers[1].owns: "../up"'),
        'web depends on "api", not a worker',
      ]);
    }
    expect(parsePublishedPlan('not json', 'feat').ok).toBe(false);
    expect(parsePublishedPlan('[]', 'feat')).toEqual({
      ok: false,
      problems: ['plan.json is not a pw plan'],
    });
  });
});

describe('relocatePlan', () => {
  it("puts the worktrees under this machine's worktreeRoot and keeps everything else", () => {
    const parsed = parsePublishedPlan(JSON.stringify(published()), 'feat');
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const here = relocatePlan(parsed.plan, {
      mainWorktree: '/b/clone',
      worktreeRoot: '../{repo}.pw',
    });
    expect(here.repoRoot).toBe('/b/clone');
    expect(here.workers.map((w) => w.worktree)).toEqual([
      '/b/clone.pw/feat/api',
      '/b/clone.pw/feat/web',
    ]);
    expect(here.workers.map((w) => w.pathspecs)).toEqual(
      parsed.plan.workers.map((w) => w.pathspecs),
    );
    expect(here.baseCommit).toBe(BASE);
  });
});
