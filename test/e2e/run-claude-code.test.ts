import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunRepo, type RunRepo } from '../helpers/run-fixture.js';
import {
  startScriptedModelServer,
  type ScriptedModelServer,
} from '../helpers/scripted-model-server.js';
import { claudeCodeBin, claudeCodeInstalled, runPwAsync } from '../helpers/claude-code.js';

const installed = claudeCodeInstalled('run-claude-code.test.ts');
const claude = claudeCodeBin;

let repo: RunRepo | null = null;
let server: ScriptedModelServer | null = null;
afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

describe.skipIf(!installed)(
  'pw run with the real Claude Code CLI against a scripted model server',
  () => {
    it('three workers: a refused out-of-scope commit fixed, a NEEDS, a dependency, COMPLETE, integrated', async () => {
      server = await startScriptedModelServer({
        api: [
          {
            text: 'Trying the database file first.',
            bash: "echo hacked > src/db/d.ts && git add -A && git commit -m '[CHECKPOINT] touch the database'",
          },
          {
            bash: "git reset -q && git checkout -- src/db/d.ts && echo 'export const api = 2;' > src/api/a.ts && git add -A && git commit -m '[CHECKPOINT] the API, version 2'",
          },
          { bash: "git commit --allow-empty -m '[COMPLETE] the API' -m 'Provides: routes'" },
          { text: 'The API is done.' },
        ],
        db: [
          { bash: "git commit --allow-empty -m '[NEEDS:api/routes] the routes decide the tables'" },
          {
            bash: "echo 'export const db = 2;' > src/db/d.ts && git add -A && git commit -m '[COMPLETE] the database'",
          },
          { text: 'The database is done.' },
        ],
        web: [
          {
            bash: "grep -q 'api = 2' src/api/a.ts && echo 'export const web = 2;' > src/web/w.ts && git add -A && git commit -m '[COMPLETE] the web app on API 2'",
          },
          { text: 'The web app is done.' },
        ],
      });
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
  - id: db
    owns: ["/src/db/"]
    task: Build the database.
    agent: ${claude}
  - id: web
    owns: ["/src/web/"]
    task: Build the web app on the API.
    dependsOn: [api]
    agent: ${claude}
`,
        {
          'src/api/a.ts': 'export const api = 1;\n',
          'src/db/d.ts': 'export const db = 1;\n',
          'src/web/w.ts': 'export const web = 1;\n',
        },
      );
      const result = await runPwAsync(
        repo,
        ['run', 'plan.yaml', '--json', '--integrate', '--report', 'report.json'],
        {
          ANTHROPIC_BASE_URL: server.url,
          ANTHROPIC_API_KEY: 'sk-ant-test-0000000000000000',
          DISABLE_TELEMETRY: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_AUTOUPDATER: '1',
        },
      );
      if (result.status !== 0) console.log(result.stdout, result.stderr);
      expect(result.status).toBe(0);
      const events = repo.events(result.stdout);
      expect(
        events
          .filter((e) => e.type === 'worker-complete')
          .map((e) => e.worker)
          .sort(),
      ).toEqual(['api', 'db', 'web']);
      expect(events.some((e) => e.type === 'agent-tool' && e.tool === 'Bash')).toBe(true);
      expect(events.find((e) => e.type === 'integrate')).toMatchObject({ exitCode: 0 });
      // The hooks refused the out-of-scope commit; the fix went in.
      const pwDir = join(repo.commonDir, 'pw', 'demo');
      expect(readFileSync(join(pwDir, 'events.ndjson'), 'utf8')).toContain('"hook-rejected"');
      const apiLog = repo.git(['log', '--format=%s', 'pw/demo/api']);
      expect(apiLog).not.toContain('touch the database');
      expect(apiLog).toContain('[CHECKPOINT] the API, version 2');
      expect(repo.git(['log', '--format=%s', 'pw/demo/db'])).toContain('[NEEDS:api/routes]');
      // web started from api's COMPLETE work, and everything reached main.
      expect(repo.git(['show', 'main:src/web/w.ts'])).toBe('export const web = 2;');
      expect(repo.git(['show', 'main:src/api/a.ts'])).toBe('export const api = 2;');
      // Session ids from stream-json, recorded.
      const record = JSON.parse(readFileSync(join(pwDir, 'run.json'), 'utf8')) as {
        workers: Record<string, { sessionId: string | null }>;
      };
      expect(record.workers.api!.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    });
  },
);
