import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAgentScript, writePlan } from '../helpers/repo-state.js';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

async function waitFor(check: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasTmux)('pw setup --tmux', () => {
  let repo: TempRepo;
  let tmuxDir: string;
  beforeEach(() => {
    repo = createTempRepo({ files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n' } });
    tmuxDir = join(repo.root, 'tmux');
    mkdirSync(tmuxDir);
  });
  afterEach(() => {
    spawnSync('tmux', ['kill-server'], { env: { ...repo.env, TMUX_TMPDIR: tmuxDir } });
    repo.cleanup();
  });

  it('opens one tmux window per worker, each running its launch script in its worktree', async () => {
    const agent = writeAgentScript(
      repo,
      'agent.sh',
      'pwd > "$PW_WORKTREE/../started-$PW_WORKER"\nsleep 30\n',
    );
    const plan = writePlan(
      repo,
      'plan.yaml',
      `name: feat\nagent: ${agent}\nworkers:\n  - id: api\n    owns: [/src/api/]\n    task: t\n  - id: web\n    owns: [/src/web/]\n    task: t\n`,
    );
    const env = { TMUX_TMPDIR: tmuxDir };
    const result = repo.pw(['setup', plan, '--tmux'], { env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      'Opened one tmux window per worker in session pw-feat: tmux attach -t pw-feat',
    );
    const windows = spawnSync('tmux', ['list-windows', '-t', 'pw-feat', '-F', '#{window_name}'], {
      env: { ...repo.env, ...env },
      encoding: 'utf8',
    });
    expect(windows.stdout.trim().split('\n').sort()).toEqual(['api', 'web']);
    const base = join(repo.root, 'repo.pw', 'feat');
    await waitFor(
      () => existsSync(join(base, 'started-api')) && existsSync(join(base, 'started-web')),
      'both agents',
    );
    expect(readFileSync(join(base, 'started-web'), 'utf8').trim()).toBe(join(base, 'web'));

    // Again: the agents are running, so nothing new starts.
    const again = repo.pw(['setup', plan, '--tmux'], { env });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already open, not started again: api, web');
    const after = spawnSync('tmux', ['list-windows', '-t', 'pw-feat', '-F', '#{window_name}'], {
      env: { ...repo.env, ...env },
      encoding: 'utf8',
    });
    expect(after.stdout.trim().split('\n').sort()).toEqual(['api', 'web']);
  });
});
