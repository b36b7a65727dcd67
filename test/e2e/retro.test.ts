import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempRepo, type TempRepo } from '../helpers/temp-repo.js';

const PLAN = `name: e2e
workers:
  - id: api
    owns: [/src/api/]
    task: build the api
  - id: web
    owns: [/src/web/]
    task: build the web
    dependsOn: [api]
`;

describe('pw retro (built binary)', () => {
  let repo: TempRepo;

  beforeAll(() => {
    repo = createTempRepo({
      files: { 'src/api/a.ts': 'a\n', 'src/web/w.ts': 'w\n', 'plan.yaml': PLAN },
    });
  });
  afterAll(() => repo?.cleanup());

  it('says what to do when no plan is set up (exit 2)', () => {
    const result = repo.pw(['retro']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no plan is set up');
    expect(result.stderr).toContain('pw setup');
  });

  it('works right after setup, before any commit, under both names', () => {
    expect(repo.pw(['setup', 'plan.yaml']).status).toBe(0);
    const md = repo.pw(['retro']);
    expect(md.status).toBe(0);
    expect(md.stdout).toMatch(/^# Retrospective: e2e/);
    expect(md.stdout).toContain('## Findings');
    expect(md.stderr).toBe('');
    const json = repo.pw(['retrospective', '--json']);
    expect(json.status).toBe(0);
    const retro = JSON.parse(json.stdout) as {
      status: string;
      workers: { id: string; state: string }[];
      findings: unknown[];
      files: unknown;
    };
    expect(retro.status).toBe('in-flight');
    expect(retro.workers.map((w) => [w.id, w.state])).toEqual([
      ['api', 'pending'],
      ['web', 'pending'],
    ]);
    expect(retro.findings.length).toBeGreaterThanOrEqual(3);
    expect(retro.files).toEqual({ markdown: null, svg: null, html: null });
  });

  it('with --svg or --html prints only where the files are, not the report', () => {
    const result = repo.pw(['retro', '--svg', 'out/t.svg', '--html', 'out/t.html']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      `Retrospective of e2e written:\n  timeline  ${join(repo.dir, 'out', 't.svg')}\n  page      ${join(repo.dir, 'out', 't.html')}\n`,
    );
    expect(readFileSync(join(repo.dir, 'out', 't.svg'), 'utf8')).toMatch(/^<\?xml/);
    expect(existsSync(join(repo.dir, 'out', 't.html'))).toBe(true);
    const html = repo.pw(['retro', '--html', 'out/only.html']);
    expect(html.stdout).not.toContain('# Retrospective');
    expect(html.stdout).toContain(join(repo.dir, 'out', 'only.html'));
  });

  it('with --json prints the JSON only, files included', () => {
    const result = repo.pw(['retro', '--json', '--svg', 'out/j.svg']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const retro = JSON.parse(result.stdout) as { files: Record<string, string | null> };
    expect(retro.files).toEqual({
      markdown: null,
      svg: join(repo.dir, 'out', 'j.svg'),
      html: null,
    });
  });

  it('refuses two outputs on one path (exit 2)', () => {
    const result = repo.pw(['retro', '--out', 'same.md', '--svg', 'same.md']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('name the same file');
  });
});
