import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { Document } from 'yaml';
import type { CommandDeps, CommandResult } from '../cli/deps.js';
import { parsePlanYaml, splitFrontMatter } from '../config/read-plan.js';
import { planFromOrchestraManifest } from '../domain/plan/import-orchestra.js';
import { DEFAULT_SETTINGS } from '../domain/plan/plan.js';
import { formatProblem, validatePlan } from '../domain/plan/validate-plan.js';
import { escapeTerminal } from '../domain/text/terminal-text.js';
import { UsageError } from '../errors.js';
import { exists } from '../store/fs.js';
import { writeFileAtomic } from '../store/trusted-store.js';

export interface ImportOptions {
  manifest: string;
  output?: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

// A manifest is YAML, or Markdown (a plan report) with the manifest as front matter.
const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/;

/** `pw import <manifest>`: a pw plan from a parallel-orchestra manifest, printed or written. */
export async function runImport(options: ImportOptions, deps: CommandDeps): Promise<CommandResult> {
  const file = resolve(deps.cwd, options.manifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the manifest ${file}: ${(error as Error).message}`, [
      'Pass the path of a parallel-orchestra manifest (YAML, or Markdown with it as front matter).',
    ]);
  }
  const manifestText = splitFrontMatter(text, file, FRONT_MATTER.test(text));
  const parsed = parsePlanYaml(manifestText, file);
  const imported = parsed.problems.length
    ? { plan: null, notes: [], problems: parsed.problems }
    : planFromOrchestraManifest(parsed.data, file, options.name ? { name: options.name } : {});
  if (!imported.plan) {
    throw new UsageError(
      `cannot import ${file} (${imported.problems.length} problem${imported.problems.length === 1 ? '' : 's'})`,
      [
        ...imported.problems.map(formatProblem),
        'Fix the manifest and run pw import again; nothing was written.',
      ],
    );
  }

  const output = options.output ? resolve(deps.cwd, options.output) : null;
  const checked = validatePlan(imported.plan, output ?? 'the imported plan', '', DEFAULT_SETTINGS);
  const source = relative(deps.cwd, file) || file;
  const markdown = output !== null && /\.(md|markdown)$/i.test(output);
  const context = manifestText.context;
  if (context && !markdown) {
    imported.notes.push(
      'the Markdown below the manifest is kept only in a Markdown plan (--output <file>.md), where every worker reads it as context',
    );
  }
  const document = new Document(imported.plan);
  document.commentBefore = [
    ` pw plan imported from ${escapeTerminal(source)} (a parallel-orchestra manifest) by pw import.`,
    // printable: a note quotes manifest text, and a line break in it would end the comment.
    ...imported.notes.map((note) => ` note: ${escapeTerminal(note)}`),
  ].join('\n');
  const yaml = document.toString({ lineWidth: 0 });
  const content = markdown ? `---\n${yaml}---\n${context ? `\n${context}\n` : ''}` : yaml;

  if (output) {
    if ((await exists(output)) && !options.force) {
      throw new UsageError(`${output} already exists; pw import does not overwrite it`, [
        'Pass another --output path, or --force to replace the file.',
      ]);
    }
    await writeFileAtomic(output, content);
  }

  const setupProblems = checked.problems.map(formatProblem);
  if (options.json) {
    deps.stdout(
      `${JSON.stringify(
        {
          plan: imported.plan,
          written: output,
          notes: imported.notes,
          problems: setupProblems,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (!output) deps.stdout(content);
    for (const note of imported.notes) deps.stderr(`note: ${escapeTerminal(note)}\n`);
    if (output) deps.stderr(`wrote ${relative(deps.cwd, output) || output}\n`);
    if (setupProblems.length) {
      deps.stderr(
        `pw setup will refuse this plan until these are fixed:\n${setupProblems.map((line) => `  ${line}\n`).join('')}`,
      );
    } else if (output) {
      deps.stderr(
        `Next: pw setup --dry-run ${relative(deps.cwd, output) || output}   to check it, then pw run to start the agents\n`,
      );
    }
  }
  return { exitCode: setupProblems.length ? 1 : 0 };
}
