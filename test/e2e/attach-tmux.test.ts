import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_AGENT, createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import { builtBin, projectRoot } from '../helpers/temp-repo.js';

const FAKE_INTERACTIVE = join(projectRoot, 'test', 'fixtures', 'fake-interactive-agent.mjs');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

let repo: RunRepo | null = null;
let tmuxEnv: NodeJS.ProcessEnv | null = null;
afterEach(() => {
  if (tmuxEnv) spawnSync('tmux', ['kill-server'], { env: tmuxEnv });
  tmuxEnv = null;
  repo?.cleanup();
  repo = null;
});

/** Polls the pane until it shows `text`: at most 60 s, never a timing assertion. */
async function waitForPane(env: NodeJS.ProcessEnv, text: string): Promise<string> {
  let screen = '';
  for (let i = 0; i < 1200; i++) {
    screen = spawnSync('tmux', ['capture-pane', '-p', '-J', '-S', '-200', '-t', 'attach'], {
      env,
      encoding: 'utf8',
    }).stdout;
    if (screen.includes(text)) return screen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for "${text}" in the tmux pane; it shows:\n${screen}`);
}

describe('pw attach in a terminal (tmux)', () => {
  if (!hasTmux) {
    it.skip('SKIPPED: tmux is not installed (tmux -V failed), so pw attach is not driven in a terminal', () =>
      undefined);
    return;
  }
  it('opens the Claude session on the terminal: keys reach the agent, its exit code comes back, Ctrl-C goes to the agent and not to pw', async () => {
    repo = createRunRepo(
      `name: demo
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: claude
`,
      { 'src/api/a.ts': 'a\n' },
    );
    const r = repo;
    // "claude" on PATH: headless (-p) it is the scripted agent, interactive it is the echoing one.
    const bin = join(r.root, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'claude'),
      `#!/bin/sh\ncase " $* " in\n  *" -p "*) exec node ${sq(FAKE_AGENT)} "$@" ;;\n  *) exec node ${sq(FAKE_INTERACTIVE)} "$@" ;;\nesac\n`,
    );
    chmodSync(join(bin, 'claude'), 0o755);
    r.script('api', [[{ commit: '[CHECKPOINT] half the API' }, { exit: 0 }]]);
    const path = `${bin}:${r.env.PATH}`;
    const ran = r.run(['run', 'plan.yaml', '--json', '--retries', '0'], {
      PATH: path,
    });
    expect(ran.status).toBe(1);
    const record = JSON.parse(
      readFileSync(join(r.commonDir, 'pw', 'demo', 'run.json'), 'utf8'),
    ) as {
      workers: { api: { sessionId: string } };
    };
    const session = record.workers.api.sessionId;

    const tmuxDir = join(r.root, 'tmux');
    mkdirSync(tmuxDir);
    const env: NodeJS.ProcessEnv = {
      ...r.env,
      PATH: path,
      TMUX_TMPDIR: tmuxDir,
      PW_NOW: '2026-03-04T05:06:07.000Z',
      FAKE_AGENT_DIR: r.agents,
    };
    tmuxEnv = env;
    const attachLine = `node ${sq(builtBin)} attach api; echo "pw attach exited $?"`;
    const script = `${attachLine}; ${attachLine}; exec cat`;
    const opened = spawnSync(
      'tmux',
      ['new-session', '-d', '-s', 'attach', '-x', '200', '-y', '50', '-c', r.dir, script],
      { env, encoding: 'utf8' },
    );
    expect(opened.stderr).toBe('');
    expect(opened.status).toBe(0);
    const screen = await waitForPane(env, 'fake agent: ready');
    expect(screen).toContain(
      `fake agent: argv ["--resume","${session}","--permission-mode","acceptEdits","--allowedTools","Bash,Edit,Write,Read,Glob,Grep"]`,
    );
    expect(screen).toContain(`fake agent: cwd ${r.wt('api')} tty true worker api`);
    const marker = join(r.commonDir, 'pw', 'demo', 'attach', 'api.json');
    expect(existsSync(marker)).toBe(true);

    const keys = (...args: string[]) =>
      spawnSync('tmux', ['send-keys', '-t', 'attach', ...args], { env });
    keys('hello from the terminal', 'Enter');
    await waitForPane(env, 'echo: hello from the terminal');
    keys('exit 7', 'Enter');
    await waitForPane(env, 'pw attach exited 7');
    expect(existsSync(marker)).toBe(false);

    // The second attach: Ctrl-C interrupts the agent (as in a shell's foreground job); pw waits,
    // reports its exit (128 + SIGINT) and removes the marker.
    const again = async (): Promise<void> => {
      for (let i = 0; i < 1200; i++) {
        const shown = spawnSync(
          'tmux',
          ['capture-pane', '-p', '-J', '-S', '-200', '-t', 'attach'],
          {
            env,
            encoding: 'utf8',
          },
        ).stdout;
        if (shown.split('fake agent: ready').length === 3) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the second attach did not start');
    };
    await again();
    keys('C-c');
    await waitForPane(env, 'pw attach exited 130');
    expect(existsSync(marker)).toBe(false);
  });
});
