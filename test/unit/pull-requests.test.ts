import { describe, expect, it } from 'vitest';
import { fence, workerBody, workerTitle } from '../../src/domain/pr/describe.js';
import {
  choosePullRequest,
  describeChecks,
  parsePullRequests,
  summarizeChecks,
} from '../../src/domain/pr/pull-requests.js';

// Shapes as `gh pr list --json number,url,state,...,statusCheckRollup` prints them.
const GH_LIST = JSON.stringify([
  {
    number: 3,
    url: 'https://github.com/o/r/pull/3',
    state: 'CLOSED',
    title: 'api: old',
    isDraft: false,
    headRefName: 'pw/p/api',
    headRefOid: 'a'.repeat(40),
    mergedAt: null,
    statusCheckRollup: [],
  },
  {
    number: 5,
    url: 'https://github.com/o/r/pull/5',
    state: 'MERGED',
    title: 'api: done',
    isDraft: false,
    headRefName: 'pw/p/api',
    headRefOid: 'b'.repeat(40),
    mergedAt: '2030-01-01T00:00:00Z',
    statusCheckRollup: [
      { __typename: 'CheckRun', name: 'pw-check', status: 'COMPLETED', conclusion: 'SUCCESS' },
      { __typename: 'CheckRun', name: 'tests', status: 'COMPLETED', conclusion: 'FAILURE' },
      { __typename: 'CheckRun', name: 'lint', status: 'IN_PROGRESS', conclusion: '' },
      { __typename: 'StatusContext', context: 'ci/legacy', state: 'PENDING' },
      { __typename: 'StatusContext', context: 'ci/ok', state: 'SUCCESS' },
    ],
  },
]);

describe('pull requests from gh', () => {
  it('parses, chooses the open one, else the newest merged, and summarizes checks', () => {
    const list = parsePullRequests(GH_LIST);
    expect(choosePullRequest(list)!.number).toBe(5);
    expect(choosePullRequest([{ ...list[0]!, number: 9, state: 'OPEN' }, ...list])!.number).toBe(9);
    expect(choosePullRequest([])).toBeNull();
    expect(list[1]!.checks).toEqual({ passing: 2, failing: 1, pending: 2, failed: ['tests'] });
    expect(describeChecks(list[1]!.checks)).toBe('2 passing, 1 failing (tests), 2 pending');
    expect(describeChecks(summarizeChecks([]))).toBe('no checks');
    expect(() => parsePullRequests('{"not":"a list"}')).toThrow();
  });
});

describe('pull request descriptions', () => {
  it('a fence no backtick run in the text can close, with controls escaped', () => {
    expect(fence(['plain'])).toBe('```text\nplain\n```');
    expect(fence(['a ```` b', 'esc \u001b[31m'])).toBe('`````text\na ```` b\nesc \\x1b[31m\n`````');
  });

  it('title from the last commit, one line and bounded; body with task, commits, findings', () => {
    const description = {
      plan: 'p',
      worker: 'api',
      task: 'Build it.',
      state: 'complete',
      headers: ['[CHECKPOINT] start', '[COMPLETE] done\u202e evil\nsecond line'],
      findings: ['out of scope: abc src/web/x.ts'],
    };
    expect(workerTitle(description)).toBe('api: done\\u202e evil second line');
    expect(
      workerTitle({ ...description, headers: ['[COMPLETE] ' + 'x'.repeat(500)] }),
    ).toHaveLength(200);
    const body = workerBody(description);
    expect(body).toContain('Worker `api` of plan `p`: complete, 2 commits of its own.');
    expect(body).toContain('```text\n[CHECKPOINT] start\n[COMPLETE] done\\u202e evil');
    expect(body).toContain('```text\nout of scope: abc src/web/x.ts\n```');
    expect(workerBody({ ...description, findings: [] })).toContain('None: every commit stays');
  });
});
