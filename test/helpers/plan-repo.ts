import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempRepo, type TempRepo } from './temp-repo.js';

/** Three workers with disjoint files, plus files nobody owns (README.md, package.json). */
export const DEMO_PLAN = `name: demo
workers:
  - id: api
    owns: ["/src/api/", "/docs/api.md"]
    task: Build the API.
  - id: web
    owns: ["/src/web/"]
    task: Build the web app.
    dependsOn: [api]
  - id: db
    owns: ["/src/db/"]
    task: Build the database layer.
`;

export const DEMO_FILES: Record<string, string> = {
  'README.md': '# demo\n',
  'package.json': '{ "name": "demo" }\n',
  'src/api/server.ts': 'export const api = 1;\n',
  'src/api/routes.ts': 'export const routes = [];\n',
  'docs/api.md': '# API\n',
  'src/web/app.ts': 'export const app = 1;\n',
  'src/web/with space.ts': 'export const spaced = 1;\n',
  'src/web/ünïcödé.ts': 'export const unicode = 1;\n',
  'src/web/-dash.ts': 'export const dash = 1;\n',
  'src/web/q"uo\'te.ts': 'export const quote = 1;\n',
  'src/db/schema.ts': 'export const schema = 1;\n',
};

export interface PlanRepo extends TempRepo {
  commonDir: string;
  /** A worker's worktree. */
  wt(worker: string): string;
  /** The plan's events log, parsed. */
  events(): Record<string, unknown>[];
  /** Hook refusals in the events log. */
  refusals(): Record<string, unknown>[];
  /** Commits with all changes staged, in `cwd`; returns git's status and output. */
  commit(
    cwd: string,
    message: string,
    options?: { args?: string[]; env?: Record<string, string>; all?: boolean },
  ): { status: number; stdout: string; stderr: string };
}

/** A repository with the demo plan set up by the built `pw` (worktrees, hooks and all). */
export function createPlanRepo(
  options: {
    files?: Record<string, string>;
    plan?: string;
    /** Runs after the first commit and before `pw setup`. */
    beforeSetup?: (repo: TempRepo) => void;
  } = {},
): PlanRepo {
  const repo = createTempRepo({ files: options.files ?? DEMO_FILES });
  repo.write('plan.yaml', options.plan ?? DEMO_PLAN);
  repo.git(['add', 'plan.yaml']);
  repo.git(['commit', '-q', '-m', 'add the plan']);
  options.beforeSetup?.(repo);
  const setup = repo.pw(['setup', 'plan.yaml', '--json']);
  if (setup.status !== 0) throw new Error(`pw setup failed: ${setup.stderr}`);
  const commonDir = repo.git(['rev-parse', '--path-format=absolute', '--git-common-dir']);
  const plan = /name: (\S+)/.exec(options.plan ?? DEMO_PLAN)![1]!;
  const eventsPath = join(commonDir, 'pw', plan, 'events.ndjson');
  const events = (): Record<string, unknown>[] => {
    let text = '';
    try {
      text = readFileSync(eventsPath, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return {
    ...repo,
    commonDir,
    wt: (worker) => join(repo.root, 'repo.pw', plan, worker),
    events,
    refusals: () => events().filter((e) => e.type === 'hook-rejected'),
    commit: (cwd, message, opts = {}) => {
      if (!opts.all) repo.git(['add', '-A', '--', '.'], { cwd });
      return repo.gitResult(
        ['commit', '-q', ...(opts.all ? ['-a'] : []), ...(opts.args ?? []), '-m', message],
        {
          cwd,
          ...(opts.env ? { env: opts.env } : {}),
        },
      );
    },
  };
}
