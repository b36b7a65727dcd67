import { describe, expect, it } from 'vitest';
import { planFromOrchestraManifest, toPwId } from '../../src/domain/plan/import-orchestra.js';
import { DEFAULT_SETTINGS } from '../../src/domain/plan/plan.js';
import { formatProblem, validatePlan } from '../../src/domain/plan/validate-plan.js';

const manifest = {
  po_plan_version: '0.1',
  name: 'Auth in parallel',
  cwd: '../..',
  tasks: [
    {
      id: 'tdd-login',
      agent: 'tdd-develop',
      read_only: false,
      prompt: 'Implement login.\n',
      writes: ['src/auth/login.py', './tests/test_login.py'],
    },
    {
      id: 'tdd_Logout',
      agent: 'tdd-develop',
      read_only: false,
      prompt: 'Implement logout.',
      writes: ['src/auth/logout.py'],
      max_retries: 3,
    },
    {
      id: 'review',
      agent: 'code-reviewer',
      read_only: true,
      prompt: 'Review the auth module.',
      depends_on: ['tdd-login', 'tdd_Logout'],
      concurrency_group: 'api',
      writes: ['src/auth/'],
    },
  ],
  defaults: { max_retries: 1 },
  concurrency_limits: { api: 2 },
  on_failure: { webhook_url: 'https://example.com/hook' },
};

describe('planFromOrchestraManifest', () => {
  it('maps tasks to workers: writes to owns, read_only to owning nothing, dependencies, groups, retries, agents', () => {
    const imported = planFromOrchestraManifest(manifest, 'po.md');
    expect(imported.problems).toEqual([]);
    expect(imported.plan).toEqual({
      name: 'auth-in-parallel',
      workers: [
        {
          id: 'tdd-login',
          owns: ['/src/auth/login.py', '/tests/test_login.py'],
          task: 'Implement login.',
          agent: 'claude --agent tdd-develop',
        },
        {
          id: 'tdd_logout',
          owns: ['/src/auth/logout.py'],
          task: 'Implement logout.',
          agent: 'claude --agent tdd-develop',
        },
        {
          id: 'review',
          owns: [],
          task: 'Review the auth module.',
          dependsOn: ['tdd-login', 'tdd_logout'],
          agent: 'claude --agent code-reviewer',
          concurrencyGroup: 'api',
        },
      ],
      run: { retries: 1, concurrencyLimits: { api: 2 } },
    });
    // The result is a plan pw accepts as it is.
    expect(validatePlan(imported.plan, 'plan.yaml', '', DEFAULT_SETTINGS).problems).toEqual([]);
  });

  it('names everything it cannot carry over, one note each', () => {
    const { notes } = planFromOrchestraManifest(manifest, 'po.md');
    expect(notes).toEqual([
      'name: "Auth in parallel" becomes the plan name "auth-in-parallel"',
      expect.stringMatching(/^cwd: "\.\.\/\.\." is not used/),
      expect.stringMatching(/^on_failure: webhooks are not sent/),
      'tasks[1]: task "tdd_Logout" becomes the worker "tdd_logout"',
      expect.stringMatching(
        /^tasks\[1\]\.max_retries: 3 for one task is not kept.*run\.retries: 1/,
      ),
      'tasks[2].writes: ignored: the task is read_only, it owns nothing',
    ]);
  });

  it('says so when a writing task declares no writes, and leaves it owning nothing', () => {
    const imported = planFromOrchestraManifest(
      {
        po_plan_version: '0.1',
        name: 'p',
        tasks: [{ id: 'a', agent: 'dev', read_only: false, prompt: 'do a' }],
      },
      'po.yaml',
    );
    expect(imported.plan).toMatchObject({ workers: [{ id: 'a', owns: [] }] });
    expect(imported.notes).toEqual([
      expect.stringMatching(/task "a" writes but lists no writes: worker "a" owns nothing/),
    ]);
  });

  it('refuses what is not a manifest, and collects every problem of one', () => {
    expect(
      planFromOrchestraManifest({ name: 'x', workers: [] }, 'plan.yaml').problems.map(
        formatProblem,
      ),
    ).toEqual([
      expect.stringMatching(/^plan\.yaml: po_plan_version: is missing: this is not a parallel/),
      expect.stringMatching(/^plan\.yaml: tasks: must be a list/),
    ]);
    const bad = planFromOrchestraManifest(
      {
        po_plan_version: '0.2',
        name: '!!!',
        concurrency_limits: { api: 0 },
        tasks: [
          { id: 'a', agent: 'dev', read_only: false, prompt: '', writes: ['../etc/passwd'] },
          { id: 'A', agent: 'dev', read_only: false, prompt: 'x', writes: ['/abs'] },
          {
            id: 'b',
            agent: 'x',
            read_only: true,
            prompt: 'y',
            depends_on: ['nope'],
            concurrency_group: 'gpu',
          },
        ],
      },
      'po.yaml',
    );
    expect(bad.plan).toBeNull();
    expect(bad.problems.map(formatProblem)).toEqual([
      'po.yaml: po_plan_version: "0.2" is not supported; pw imports version "0.1"',
      expect.stringMatching(
        /^po\.yaml: name: "!!!" gives no usable pw plan name; pass one with --name/,
      ),
      'po.yaml: concurrency_limits.api: must be a whole number, 1 or more',
      'po.yaml: tasks[1].id: "A" and "a" both become the worker id "a"',
      'po.yaml: tasks[0].prompt: is required: it becomes the worker task',
      'po.yaml: tasks[0].writes[0]: "../etc/passwd" is not a path inside the repository',
      'po.yaml: tasks[2].depends_on[0]: "nope" is not a task of this manifest',
      'po.yaml: tasks[2].concurrency_group: "gpu" has no entry in concurrency_limits',
    ]);
  });

  it('keeps hostile agent names out of the agent command', () => {
    const imported = planFromOrchestraManifest(
      {
        po_plan_version: '0.1',
        name: 'p',
        tasks: [{ id: 'a', agent: 'x; rm -rf ~', read_only: true, prompt: 'look' }],
      },
      'po.yaml',
    );
    expect(imported.plan).toMatchObject({ workers: [{ id: 'a', owns: [], task: 'look' }] });
    expect((imported.plan!.workers as Record<string, unknown>[])[0]).not.toHaveProperty('agent');
    expect(imported.notes).toEqual([expect.stringMatching(/is not a Claude Code agent name/)]);
  });
});

describe('toPwId', () => {
  it('lower-cases and replaces what a pw id cannot hold', () => {
    expect(toPwId('User Auth / Login')).toBe('user-auth-login');
    expect(toPwId('--x--')).toBe('x');
    expect(toPwId('ÄÖ')).toBe('');
  });
});
