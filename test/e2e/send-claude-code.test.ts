import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../helpers/scripted-model-server.js';
import { claudeCodeBin, claudeCodeInstalled, runPwAsync } from '../helpers/claude-code.js';

const installed = claudeCodeInstalled('send-claude-code.test.ts');
const claude = claudeCodeBin;

let repo: RunRepo | null = null;
let server: ScriptedModelServer | null = null;
afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

describe.skipIf(!installed)('pw send with the real Claude Code CLI', () => {
  it('resumes the BLOCKED session with the message; the model server sees it as the follow-up', async () => {
    server = await startScriptedModelServer(
      {
        api: [
          { bash: "git commit --allow-empty -m '[BLOCKED:database] which database should I use?'" },
          { text: 'I am blocked until someone tells me which database to use.' },
        ],
      },
      {
        api: [
          {
            bash: "echo 'export const db = \"postgres\";' > src/api/a.ts && git add -A && git commit -m '[COMPLETE] the API on postgres'",
          },
          { text: 'The API uses postgres now.' },
        ],
      },
    );
    repo = createRunRepo(
      `name: demo
run:
  backoff: 10ms
  timeout: 90s
workers:
  - id: api
    owns: ["/src/api/"]
    task: Build the API.
    agent: ${claude}
`,
      { 'src/api/a.ts': 'export const api = 1;\n' },
    );
    const env = {
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: 'sk-ant-test-0000000000000000',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    const first = await runPwAsync(repo, ['run', 'plan.yaml', '--json'], env);
    if (first.status !== 1) console.log(first.stdout, first.stderr);
    expect(first.status).toBe(1);
    expect(repo.events(first.stdout).find((e) => e.type === 'worker-blocked')).toMatchObject({
      worker: 'api',
      reason: 'database',
    });
    const sent = await runPwAsync(repo, ['send', 'api', 'Use postgres.', '--wait'], env);
    if (sent.status !== 0) console.log(sent.stdout, sent.stderr);
    expect(sent.status).toBe(0);
    // The model server saw the message as the next prompt of the same conversation.
    const followUps = server.log.filter((l) => l.worker === 'api' && l.followUp !== undefined);
    expect(followUps.length).toBeGreaterThan(0);
    expect(followUps[0]!.followUp).toContain('Use postgres.');
    expect(repo.git(['log', '-1', '--format=%s', 'pw/demo/api'])).toBe(
      '[COMPLETE] the API on postgres',
    );
    const record = JSON.parse(
      readFileSync(join(repo.commonDir, 'pw', 'demo', 'run.json'), 'utf8'),
    ) as { workers: Record<string, { sessionId: string; attempts: { messages?: string[] }[] }> };
    const api = record.workers.api!;
    expect(api.attempts).toHaveLength(2);
    // pw's own hint to the BLOCKED worker (api-1) goes with the answer (api-2).
    expect(api.attempts[1]!.messages).toEqual(['api-1', 'api-2']);
    const log = readFileSync(
      join(repo.commonDir, 'pw', 'demo', 'logs', 'api', 'attempt-2.log'),
      'utf8',
    );
    expect(log).toContain(`"--resume","${api.sessionId}"`);
  });
});
