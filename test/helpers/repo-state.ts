import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TempRepo } from './temp-repo.js';

/**
 * Everything setup or teardown may change, as one comparable value: refs,
 * worktrees, repository config bytes, info/exclude, the trusted pw folder and
 * the files next to the main worktree.
 */
export function repoState(repo: TempRepo): Record<string, unknown> {
  const common = join(repo.dir, '.git');
  const list = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, withFileTypes: true })
          .map((e) =>
            join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length),
          )
          .sort()
      : [];
  return {
    refs: repo.git(['for-each-ref', '--format=%(refname) %(objectname)']),
    worktrees: repo.git(['worktree', 'list', '--porcelain']),
    config: readFileSync(join(common, 'config'), 'utf8'),
    exclude: existsSync(join(common, 'info', 'exclude'))
      ? readFileSync(join(common, 'info', 'exclude'), 'utf8')
      : null,
    pw: list(join(common, 'pw')).filter((p) => !p.endsWith('events.ndjson')),
    worktreeAdmin: list(join(common, 'worktrees')),
    siblings: readdirSync(repo.root).sort(),
    status: repo.git(['status', '--porcelain', '--untracked-files=all']),
  };
}

export function writePlan(repo: TempRepo, name: string, yaml: string): string {
  const path = join(repo.root, name);
  repo.write(name, yaml, repo.root);
  return path;
}

/** An executable sh script `name` beside the repository (a stand-in agent); its path. */
export function writeAgentScript(repo: TempRepo, name: string, body: string): string {
  repo.write(name, `#!/bin/sh\n${body}`, repo.root);
  const path = join(repo.root, name);
  chmodSync(path, 0o755);
  return path;
}

/** A two-worker plan "feat" (api owns /src/api/, web /src/web/); `extra` goes before the workers. */
export function apiWebPlan(extra = ''): string {
  return `name: feat
${extra}workers:
  - id: api
    owns: [/src/api/]
    task: Build the API.
  - id: web
    owns: [/src/web/]
    task: Build the web page.
`;
}
