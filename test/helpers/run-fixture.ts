import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempRepo, projectRoot, type TempRepo } from './temp-repo.js';

export const FAKE_AGENT = join(projectRoot, 'test', 'fixtures', 'fake-agent.mjs');

/** A step of the scripted fake agent (test/fixtures/fake-agent.mjs). */
export type FakeStep =
  | { write: string; content?: string }
  | { commit: string; unstageOnRefusal?: boolean }
  | { stdout: string }
  | { stderr: string }
  | { sleep: number }
  | { hang: true }
  | { waitFile: string }
  | { waitAncestor: [commit: string, ref: string] }
  | { exit: number };

export interface RunRepo extends TempRepo {
  agents: string;
  commonDir: string;
  /** Scripts a worker's agent: one list of steps per attempt (the last repeats). */
  script(worker: string, attempts: FakeStep[][]): void;
  /** How the fake agent of a worker was called, in order. */
  calls(worker: string): { attempt: number; argv: string[]; stdin: string; cwd: string }[];
  wt(worker: string): string;
  /** Runs the built pw with the fake agents' folder in the environment. */
  run(
    args: string[],
    env?: Record<string, string>,
  ): { status: number; stdout: string; stderr: string };
  /** Parses NDJSON output. */
  events(stdout: string): Record<string, unknown>[];
}

/** The fake agent as a plan's agent command: brief as an argument, or on stdin. */
export const agentArg = `node ${FAKE_AGENT} {brief}`;
export const agentStdin = `node ${FAKE_AGENT}`;

/**
 * A repository with a plan file (not set up: pw run sets it up) whose
 * workers run the scripted fake agent.
 */
export function createRunRepo(plan: string, files: Record<string, string>): RunRepo {
  const repo = createTempRepo({ files: { 'README.md': '# run\n', ...files } });
  repo.write('plan.yaml', plan);
  repo.git(['add', 'plan.yaml']);
  repo.git(['commit', '-q', '-m', 'add the plan']);
  const agents = join(repo.root, 'agents');
  mkdirSync(agents, { recursive: true });
  const commonDir = join(repo.dir, '.git');
  return {
    ...repo,
    agents,
    commonDir,
    script: (worker, attempts) =>
      writeFileSync(join(agents, `${worker}.json`), JSON.stringify({ attempts })),
    calls: (worker) => {
      try {
        return readFileSync(join(agents, `${worker}.calls.ndjson`), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(
            (line) =>
              JSON.parse(line) as { attempt: number; argv: string[]; stdin: string; cwd: string },
          );
      } catch {
        return [];
      }
    },
    wt: (worker) => join(repo.root, 'repo.pw', /name: (\S+)/.exec(plan)![1]!, worker),
    run: (args, env = {}) =>
      repo.pw(args, { env: { FAKE_AGENT_DIR: agents, PW_RUN_SEED: '7', ...env } }),
    events: (stdout) =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
