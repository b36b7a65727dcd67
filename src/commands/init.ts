import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { readRepoInfo } from '../git/repo.js';
import { writeFileAtomic } from '../store/trusted-store.js';
import { readTemplate } from './templates.js';
import { exists } from '../store/fs.js';
import { packageFile } from '../cli/package-files.js';
import { shWord } from '../domain/setup/shell-quote.js';

export interface InitOptions {
  json?: boolean;
}

const CONFIG_FILE = '.parallelrc.yaml';
const PLAN_FILE = join('plans', 'example.md');

export async function runInit(options: InitOptions, deps: CommandDeps): Promise<CommandResult> {
  const repo = await readRepoInfo(deps.cwd);
  const root = repo.mainWorktree;
  const example = await readFile(packageFile('.parallelrc.example'), 'utf8');
  const files = [
    {
      path: join(root, CONFIG_FILE),
      content: example.replace('# plan: plans/example.md', 'plan: plans/example.md'),
    },
    { path: join(root, PLAN_FILE), content: await readTemplate('plan.example.md') },
  ];
  const written: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    if (await exists(file.path)) skipped.push(file.path);
    else {
      await writeFileAtomic(file.path, file.content);
      written.push(file.path);
    }
  }
  if (options.json) deps.stdout(`${JSON.stringify({ written, skipped }, null, 2)}\n`);
  else {
    const show = (path: string) => relative(deps.cwd, path) || path;
    for (const path of written) deps.stdout(`wrote ${show(path)}\n`);
    for (const path of skipped)
      deps.stdout(`kept ${show(path)} (already exists; pw init never overwrites)\n`);
    if (written.length) {
      // The plan named, not left to the config: a config kept from before may name none.
      const plan = shWord(show(files[1]!.path));
      deps.stdout(
        `\nNext: edit the plan (who owns which files, and their tasks), then\n  pw setup ${plan} --dry-run   to check it\n  pw setup ${plan}             to create the worktrees\n`,
      );
    }
  }
  return { exitCode: written.length === 0 ? 1 : 0 };
}
