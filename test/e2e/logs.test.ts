import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentArg, createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import { builtBin } from '../helpers/temp-repo.js';

const PLAN = `name: logs
run:
  backoff: 10ms
  killGrace: 2s
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${agentArg}
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    dependsOn: [api]
    agent: ${agentArg}
`;

// Lines as Claude Code's --output-format stream-json writes them.
const streamJson = (data: unknown): { stdout: string } => ({ stdout: JSON.stringify(data) });
const INIT = streamJson({ type: 'system', subtype: 'init', session_id: 's-1', model: 'm-1' });
const SAID = streamJson({
  type: 'assistant',
  message: { content: [{ type: 'text', text: 'Adding the route.\n\x1b]0;owned\x07done' }] },
});
const TOOL = streamJson({
  type: 'assistant',
  message: {
    content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'npm test' } }],
  },
});
const TOOL_FAILED = streamJson({
  type: 'user',
  message: {
    content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: '1 failing' }],
  },
});
const RESULT = streamJson({
  type: 'result',
  is_error: false,
  num_turns: 3,
  total_cost_usd: 0.0123,
  usage: { input_tokens: 1200, output_tokens: 340 },
  result: 'The API is done.',
});

let repo: RunRepo | null = null;
afterEach(() => {
  repo?.cleanup();
  repo = null;
});

describe('pw logs', () => {
  it('renders an attempt for a person: what the agent said, its tools, its result and its commits; --raw is the stored stream', () => {
    repo = createRunRepo(PLAN, { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' });
    const r = repo;
    r.script('api', [
      [INIT, SAID, TOOL, TOOL_FAILED, { stdout: 'plain progress line' }],
      [
        { write: 'src/api/a.ts', content: 'route\n' },
        { commit: '[CHECKPOINT] the route' },
        { commit: '[COMPLETE] the API' },
        RESULT,
      ],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    expect(r.run(['run', 'plan.yaml', '--json']).status).toBe(0);

    const last = r.pw(['logs', 'api']);
    expect(last.stderr).toBe('');
    expect(last.status).toBe(0);
    expect(last.stdout).toMatch(/^api · attempt 2 of 2 \(resumed\) · \d{4}-\d\d-\d\d /);
    expect(last.stdout).toContain('  result: ok · 3 turns · 1,200 in / 340 out tokens · $0.0123');
    expect(last.stdout).toMatch(
      /commits during this attempt:\n {2}[0-9a-f]{10} \[CHECKPOINT\] the route\n {2}[0-9a-f]{10} \[COMPLETE\] the API\n$/,
    );

    const first = r.pw(['logs', 'api', '--attempt', '1']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^api · attempt 1 of 2 · /);
    expect(first.stdout).toContain('  session s-1 (m-1)');
    // What the agent printed cannot drive the terminal: controls are shown escaped.
    expect(first.stdout).toContain('    \\x1b]0;owned\\x07done');
    expect(first.stdout).not.toMatch(/[\x07\x1b]/);
    expect(first.stdout).toContain('  ran Bash: npm test\n    → failed\n      1 failing');
    expect(first.stdout).toContain('  | plain progress line');
    expect(first.stdout).toContain('commits during this attempt: none');

    const raw = r.pw(['logs', 'api', '--attempt', '1', '--raw']);
    expect(raw.stdout).toBe(
      readFileSync(join(r.commonDir, 'pw', 'logs', 'logs', 'api', 'attempt-1.log'), 'utf8'),
    );
    // The stream as stored: Claude Code's JSON escapes controls itself.
    expect(raw.stdout).toContain('"Adding the route.\\n\\u001b]0;owned\\u0007done"');

    const missing = r.pw(['logs', 'api', '--attempt', '5']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--attempt 5: worker api has no such attempt\n.*1 to 2/);
    const unknown = r.pw(['logs', 'nobody']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /"nobody" is not a worker of plan logs\n {2}Workers: api, web\./,
    );
  });

  it('says when a worker has not run yet (exit 1)', () => {
    repo = createRunRepo(PLAN, { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' });
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    const result = repo.pw(['logs', 'web']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no agent of worker web has run yet.*\n.*pw run --only web/);
  });

  it('--follow prints what a running agent adds and ends with the attempt, naming its commits', async () => {
    repo = createRunRepo(PLAN, { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' });
    const r = repo;
    r.script('api', [
      [
        { stdout: 'before the wait' },
        { waitFile: 'go' },
        { stdout: 'after the wait' },
        { commit: '[COMPLETE] the API' },
      ],
    ]);
    r.script('web', [[{ commit: '[COMPLETE] the web app' }]]);
    const env = { ...r.env, FAKE_AGENT_DIR: r.agents, PW_RUN_SEED: '7' };
    const run = spawn(process.execPath, [builtBin, 'run', 'plan.yaml', '--json'], {
      cwd: r.dir,
      env,
    });
    const runDone = new Promise<number | null>((resolve) => run.on('close', resolve));
    // Follow once the agent has started (bounded: at most 60 s of checks).
    const log = join(r.commonDir, 'pw', 'logs', 'logs', 'api', 'attempt-1.log');
    for (let i = 0; i < 600; i++) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        text = '';
      }
      if (text.includes('before the wait')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const follow = spawn(process.execPath, [builtBin, 'logs', 'api', '--follow'], {
      cwd: r.dir,
      env,
    });
    let followed = '';
    follow.stdout.on('data', (chunk: Buffer) => {
      followed += chunk.toString();
      if (followed.includes('before the wait')) writeFileSync(join(r.agents, 'go'), '');
    });
    const followCode = await new Promise<number | null>((resolve) => follow.on('close', resolve));
    expect(followCode).toBe(0);
    expect(followed).toMatch(/^api · attempt 1 of 1 · .*still running/);
    expect(followed).toMatch(/ {2}\| before the wait\n(.*\n)* {2}\| after the wait\n/);
    expect(followed).toMatch(
      /commits during this attempt:\n {2}[0-9a-f]{10} \[COMPLETE\] the API\n$/,
    );
    expect(await runDone).toBe(0);
  });
});
