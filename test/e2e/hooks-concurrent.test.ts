import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createPlanRepo } from '../helpers/plan-repo.js';

// Ten workers commit at the same moment, each once refused and once accepted:
// every refusal is one whole JSON line in the shared events log.

const WORKERS = 10;

function run(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], { cwd, env });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

it('ten worktrees committing at once: good commits land, refusals are logged without interleaving', async () => {
  const files: Record<string, string> = { 'README.md': '# ten\n' };
  const workers: string[] = [];
  for (let i = 0; i < WORKERS; i++) {
    files[`m${i}/index.ts`] = `export const m${i} = 0;\n`;
    workers.push(`  - id: w${i}\n    owns: ["/m${i}/"]\n    task: module ${i}`);
  }
  const repo = createPlanRepo({ files, plan: `name: ten\nworkers:\n${workers.join('\n')}\n` });
  try {
    const tips = Array.from({ length: WORKERS }, (_, i) => repo.git(['rev-parse', `pw/ten/w${i}`]));
    const results = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) => {
        const other = (i + 1) % WORKERS;
        // Out of scope first (refused), then in scope (accepted).
        const script = [
          `echo stray > m${other}/index.ts`,
          `git add -A .`,
          `if git commit -q -m "[CHECKPOINT] stray ${i}"; then exit 10; fi`,
          `git reset -q --hard`,
          `echo "export const m${i} = 1;" > m${i}/index.ts`,
          `git add -A .`,
          `git commit -q -m "[CHECKPOINT] own ${i}"`,
        ].join(' && ');
        return run(script, repo.wt(`w${i}`), repo.env);
      }),
    );
    for (const [i, result] of results.entries())
      expect(result.code, `w${i}: ${result.stderr}`).toBe(0);
    for (let i = 0; i < WORKERS; i++) {
      expect(repo.git(['rev-parse', `pw/ten/w${i}~1`])).toBe(tips[i]);
      expect(repo.git(['log', '-1', '--format=%s', `pw/ten/w${i}`])).toBe(`[CHECKPOINT] own ${i}`);
    }
    const lines = readFileSync(join(repo.commonDir, 'pw', 'ten', 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const refusals = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.type === 'hook-rejected');
    expect(refusals).toHaveLength(WORKERS);
    expect(refusals.map((e) => e.worker).sort()).toEqual(
      Array.from({ length: WORKERS }, (_, i) => `w${i}`).sort(),
    );
    for (const event of refusals) {
      const i = Number(String(event.worker).slice(1));
      expect(event).toMatchObject({
        hook: 'reference-transaction',
        paths: [{ path: `m${(i + 1) % WORKERS}/index.ts`, owner: `w${(i + 1) % WORKERS}` }],
      });
    }
    expect(repo.pw(['check']).status).toBe(0);
  } finally {
    repo.cleanup();
  }
});
