import { Command, Option } from 'commander';
import { pinnedTime, type CommandDeps, type CommandResult } from './deps.js';
import { handleError } from './handle-error.js';
import { PW_VERSION } from './package-files.js';
import { UsageError } from '../errors.js';

type Runner = () => Promise<CommandResult>;

/**
 * The command-line surface. Each action loads its command lazily, so `--help`
 * stays fast, and hands parsed options to a function `(options, deps) -> result`.
 */
export function buildProgram(deps: CommandDeps, setExitCode: (code: number) => void): Command {
  const program = new Command();
  const run = async (runner: Runner): Promise<void> => {
    try {
      pinnedTime(deps.env);
      const result = await runner();
      setExitCode(result.exitCode);
    } catch (error) {
      setExitCode(handleError(error, deps.stderr));
    }
  };

  program
    .name('pw')
    .description(
      'Parallel workflows: one git worktree, branch and exclusive set of files per coding agent;\n' +
        'status from commit messages; a deterministic merge at the end.',
    )
    .version(PW_VERSION, '-V, --version')
    .configureOutput({
      writeOut: (text) => deps.stdout(text),
      writeErr: (text) => deps.stderr(text),
    })
    .showHelpAfterError('(run pw --help for the list of commands)')
    .exitOverride();

  program
    .command('init')
    .description('write a commented .parallelrc.yaml and an example plan (never overwrites)')
    .option('--json', 'report what was written as JSON')
    .action((options) =>
      run(async () => (await import('../commands/init.js')).runInit(options, deps)),
    );

  program
    .command('setup')
    .description('create a branch, worktree, brief and launch script for every worker of a plan')
    .argument(
      '[plan]',
      'plan file (YAML or Markdown with front matter); default: the plan in the config',
    )
    .option('--dry-run', 'print the plan of action and change nothing')
    .option('--json', 'report each worker (id, branch, worktree, brief, launch) as JSON')
    .option('--tmux', 'open one tmux window per worker')
    .option(
      '--hub <remote>',
      'publish the plan to this hub (remote, URL or path) for pw join, and record it as pw.hub',
    )
    .action((plan: string | undefined, options) =>
      run(async () =>
        (await import('../commands/setup/index.js')).runSetup({ ...options, plan }, deps),
      ),
    );

  program
    .command('publish')
    .description(
      'put the trusted plan on the hub (refs/pw/<plan>/plan) where pw join on other machines reads it',
    )
    .option('--hub <remote>', 'remote, URL or path of the hub; default: pw.hub')
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option('--json', 'report what was published as JSON')
    .action((options) =>
      run(async () => (await import('../commands/publish.js')).runPublish(options, deps)),
    );

  program
    .command('join')
    .description(
      'on another machine (a clone of the hub): set up one worker of a plan published there; its commits go to the hub',
    )
    .argument('<hub>', 'remote name, URL or path of the hub')
    .argument('<plan>', 'the plan name')
    .argument('<worker>', 'the worker id')
    .option('--json', 'report what was set up as JSON')
    .action((hub: string, plan: string, worker: string, options) =>
      run(async () =>
        (await import('../commands/join.js')).runJoin({ ...options, hub, plan, worker }, deps),
      ),
    );

  program
    .command('push')
    .description(
      'push worker branches to the hub now (the post-commit hook does it after every commit)',
    )
    .option(
      '--worker <id>',
      "this worker; default: the worktree's, or every worker pushing from here",
    )
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option('--hub <remote>', 'remote, URL or path of the hub; default: the one recorded')
    .option('--json', 'report what was pushed as JSON')
    .action((options) =>
      run(async () => (await import('../commands/push.js')).runPush(options, deps)),
    );

  program
    .command('teardown')
    .description(
      'remove the worktrees, branches and trusted copies of a plan; archive every tip first',
    )
    .argument('[plan]', 'plan name or file; default: the only plan set up')
    .option('--plan <name>', 'the same as the [plan] argument')
    .option(
      '--force',
      'proceed with unmerged or uncommitted work, after archiving it under refs/pw/',
    )
    .option('--purge', 'also delete the events log and archive refs')
    .option(
      '--ignore-running',
      'go ahead though a pw run, agent or pw attach of the plan seems to run here (it refuses otherwise, --force or not)',
    )
    .option(
      '--merged',
      'only the workers whose pull request is merged (gh); keeps the others and every unmerged branch',
    )
    .option(
      '--hub [remote]',
      'also remove the plan from the hub (a bare repository here): its worker branches once the target has their work, the plan ref, its pw/<plan>/ folder',
    )
    .option('--dry-run', 'print what would be removed and change nothing')
    .option('--json', 'report what was removed as JSON')
    .action((plan: string | undefined, options: { plan?: string }) =>
      run(async () =>
        (await import('../commands/teardown.js')).runTeardown(
          { ...options, plan: planArgument(plan, options.plan) },
          deps,
        ),
      ),
    );

  program
    .command('pr')
    .description(
      "push the worker branches and open one pull request per worker with gh (pw pr status: each one's state and checks)",
    )
    .argument('[action]', 'status: show the pull requests instead of opening them')
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option(
      '--integrated',
      'one pull request for the integration result (the target after pw integrate)',
    )
    .option('--only <ids...>', 'only these workers (comma or space separated)', idList)
    .option(
      '--remote <remote>',
      'where to push (default: pw.hub, else origin, else the only remote)',
    )
    .option('--base <branch>', 'the branch the pull requests go into (default: the plan target)')
    .addOption(fetchOption())
    .addOption(noFetchOption())
    .option('--dry-run', 'say what would be pushed and opened; push and open nothing')
    .option('--json', 'print JSON')
    .action((action: string | undefined, options) =>
      run(async () => (await import('../commands/pr.js')).runPr({ ...options, action }, deps)),
    );

  program
    .command('owner')
    .description('print the worker that owns each path (also for paths that do not exist yet)')
    .argument('<paths...>', 'repository-relative paths')
    .option(
      '--plan <file>',
      'plan file or name; default: the plan set up, or the one in the config',
    )
    .option('--json', 'print JSON')
    .action((paths: string[], options) =>
      run(async () => (await import('../commands/owner.js')).runOwner({ ...options, paths }, deps)),
    );

  program
    .command('logs')
    .description(
      "a worker's agent transcript from pw run: what it said, the tools it ran, its commits",
    )
    .argument('<worker>', 'the worker id')
    .option('--plan <plan>', 'plan file or name; default: the only plan set up')
    .option('--attempt <n>', 'which attempt (default: the last)')
    .option('--follow', 'keep printing while the attempt runs')
    .option('--raw', 'the stored stream as the agent wrote it (secrets masked)')
    .action((worker: string, options) =>
      run(async () => (await import('../commands/logs.js')).runLogs({ ...options, worker }, deps)),
    );

  program
    .command('attach')
    .description(
      "open a worker's agent interactively in its worktree, on the session pw run recorded",
    )
    .argument('<worker>', 'the worker id')
    .option('--plan <plan>', 'plan file or name; default: the only plan set up')
    .option(
      '--take-over',
      'stop the headless agent pw run is running for this worker first; pw run does not restart it while attached',
    )
    .option('--print', 'print the command and its directory instead of running it')
    .action((worker: string, options) =>
      run(async () =>
        (await import('../commands/attach.js')).runAttach({ ...options, worker }, deps),
      ),
    );

  program
    .command('import')
    .description('write a pw plan from a parallel-orchestra manifest (printed, or --output)')
    .argument('<manifest>', 'a parallel-orchestra manifest: YAML, or Markdown with front matter')
    .option('-o, --output <file>', 'write the plan to this file (.yaml, or .md with front matter)')
    .option('--name <name>', 'the plan name (default: from the manifest name)')
    .option('--force', 'replace the --output file if it exists')
    .option('--json', 'print the plan, the notes and any problems as JSON')
    .action((manifest: string, options) =>
      run(async () =>
        (await import('../commands/import.js')).runImport({ ...options, manifest }, deps),
      ),
    );

  const hooks = program.command('hooks').description('install, remove or inspect the pw git hooks');
  for (const action of ['install', 'uninstall', 'status'] as const) {
    hooks
      .command(action)
      .description(
        {
          install: 'install the hooks in every worker worktree (or in a hub with --hub)',
          uninstall: 'remove the hooks and restore the hooks that were there before',
          status: 'show, per worker worktree, whether the hooks are active',
        }[action],
      )
      .option('--plan <name>', 'plan name; default: the only plan set up')
      .option('--worker <id>', 'only this worker')
      .option(
        '--hub <path>',
        {
          install: 'a bare repository that workers push to (installs its pre-receive hook)',
          uninstall: 'a bare repository to remove the pre-receive hook from',
          status: 'a bare repository whose pre-receive hook to inspect',
        }[action],
      )
      .option('--json', 'print JSON')
      .action((options) =>
        run(async () =>
          (await import('../commands/hooks.js')).runHooks({ ...options, action }, deps),
        ),
      );
  }

  program
    .command('check')
    .description('report every out-of-scope change and protocol break on worker branches (for CI)')
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option('--worker <id>', 'only this worker')
    .option('--range <A..B>', 'only the commits in this range')
    .addOption(fetchOption())
    .addOption(noFetchOption())
    .option('--json', 'print JSON')
    .action((options) =>
      run(async () => (await import('../commands/check.js')).runCheck(options, deps)),
    );

  for (const name of ['monitor', 'status'] as const) {
    program
      .command(name)
      .description(
        name === 'monitor'
          ? 'who is working, blocked, waiting, done, stalled or deadlocked (alias: status)'
          : 'alias of monitor',
      )
      .option('--plan <name>', 'plan name or file; default: the only plan set up')
      .option('--json', 'print JSON (documented schema)')
      .option('--watch', 'live view, redrawn when a worker branch changes')
      .option('--events', 'one JSON line per change, as it happens')
      .option('--since <duration|date>', 'with --events: replay history since then first')
      .addOption(fetchOption())
      .addOption(noFetchOption())
      .option('--interval <duration>', 'polling interval for --watch and --events', '2s')
      .action((options) =>
        run(async () => (await import('../commands/status/index.js')).runMonitor(options, deps)),
      );
  }

  program
    .command('wait')
    .description(
      'block until every worker is complete (0), one needs attention (1) or the timeout passes (124)',
    )
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 30m, 2h)')
    .addOption(fetchOption())
    .addOption(noFetchOption())
    .option('--interval <duration>', 'polling interval', '2s')
    .option('--json', 'print the outcome as JSON')
    .action((options) =>
      run(async () => (await import('../commands/wait.js')).runWait(options, deps)),
    );

  program
    .command('integrate')
    .description('merge every worker in dependency order, verify, and move the target atomically')
    .option('--plan <name>', 'plan name or file; default: the only plan set up')
    .option('--dry-run', 'merge in memory and report; write no ref')
    .option('--matrix', 'predict conflicts between every pair of workers')
    .option('--only <ids...>', 'integrate only these workers (comma or space separated)', idList)
    .option(
      '--allow-incomplete',
      'also merge selected workers that are not complete (their commits so far; a worker with none is skipped)',
    )
    .option(
      '--allow-missing-providers',
      'with --only: merge a worker even when a provider it needs (dependsOn or NEEDS) is neither selected nor in the target yet',
    )
    .option('--continue', 'continue after resolving a conflict in the prepared worktree')
    .option('--abort', 'drop the attempt and leave everything as before')
    .option('--teardown', 'remove the worktrees after a successful publish')
    .option(
      '--push',
      "push the published target to the hub (pw.hub), refused if someone else moved the hub's target",
    )
    .addOption(fetchOption())
    .addOption(noFetchOption())
    .addOption(new Option('--strategy <strategy>', 'merge or squash').choices(['merge', 'squash']))
    .option('--no-verify', 'skip integrate.verify')
    .option('--json', 'print JSON')
    .action((options) =>
      run(async () => (await import('../commands/integrate/index.js')).runIntegrate(options, deps)),
    );

  program
    .command('run')
    .description(
      "set the plan up if needed, then run each worker's agent headless until all are COMPLETE",
    )
    .argument(
      '[plan]',
      'plan file or name; default: the only plan set up, or the one in the config',
    )
    .option('--max-workers <n>', 'at most this many agents at once (default: all)')
    .option('--plan <name>', 'the same as the [plan] argument')
    .option('--only <ids...>', 'run only these workers (comma or space separated)', idList)
    .option('--worker <id>', 'run only this worker (as --only <id>; e.g. the one joined here)')
    .option('--dry-run', 'print the stages and the exact argv of each agent; start nothing')
    .option('--integrate', 'run pw integrate when every worker is COMPLETE')
    .option('--report <file>', 'write a run report (.json or .md)')
    .option('--json', 'NDJSON events on stdout instead of the live view')
    .option('--timeout <duration>', 'stop an attempt after this long (e.g. 2h; off)')
    .option(
      '--idle-timeout <duration>',
      'stop an attempt with no output, commit or file change for this long',
    )
    .option('--retries <n>', 'restarts per worker after a failed attempt (default 2)')
    .addOption(new Option('--seed <n>', 'seed of the retry jitter').hideHelp())
    .addOption(
      new Option('--deliver-only', 'only resume sessions that have queued messages').hideHelp(),
    )
    .action(
      (plan: string | undefined, options: { only?: string[]; worker?: string; plan?: string }) =>
        run(async () =>
          (await import('../commands/run/index.js')).runRun(
            {
              ...options,
              only: [...(options.only ?? []), ...(options.worker ? [options.worker] : [])],
              plan: planArgument(plan, options.plan),
            },
            deps,
          ),
        ),
    );

  program
    .command('send')
    .description(
      "send a message to a worker's agent: queued while it runs, its session resumed when it does not",
    )
    .argument('<worker>', 'the worker id')
    .argument('[message]', 'the message; default: --file, or stdin')
    .option('--file <file>', 'read the message from a file')
    .option('--plan <plan>', 'plan file or name; default: the only plan set up')
    .option('--wait', 'wait until the agent has answered (its attempt ended)')
    .option('--reopen', 'also send to a COMPLETE worker (it must commit a new [COMPLETE])')
    .option('--json', 'print JSON')
    .action((worker: string, message: string | undefined, options) =>
      run(async () =>
        (await import('../commands/send.js')).runSend({ ...options, worker, message }, deps),
      ),
    );

  program
    .command('broadcast')
    .description('send a message to every worker that is not COMPLETE')
    .argument('[message]', 'the message; default: --file, or stdin')
    .option('--file <file>', 'read the message from a file')
    .option('--plan <plan>', 'plan file or name; default: the only plan set up')
    .option('--only <ids>', 'only these workers (comma-separated)')
    .option('--except <ids>', 'not these workers (comma-separated)')
    .option('--wait', 'wait until every agent has answered')
    .option('--json', 'print JSON')
    .action((message: string | undefined, options) =>
      run(async () =>
        (await import('../commands/send.js')).runBroadcast({ ...options, message }, deps),
      ),
    );

  for (const name of ['retro', 'retrospective'] as const) {
    program
      .command(name)
      .description(
        name === 'retro'
          ? 'the retrospective: figures, findings and a timeline picture (alias: retrospective)'
          : 'alias of retro',
      )
      .option('--plan <name>', 'plan name or file; default: the only plan set up')
      .option('--out <file>', 'write the Markdown report to a file instead of stdout')
      .option('--json', 'print every figure as JSON')
      .option('--svg <file>', 'write the timeline as a self-contained SVG')
      .option('--html <file>', 'write report and timeline as one HTML file')
      .addOption(fetchOption())
      .addOption(noFetchOption())
      .action((options) =>
        run(async () => (await import('../commands/retro.js')).runRetro(options, deps)),
      );
  }

  program
    .command('explain', { hidden: true })
    .description('used by the hooks to explain a refusal')
    .argument('<hook>', 'the hook that refused')
    .argument('[args...]', 'the hook arguments')
    .allowUnknownOption()
    .action((hook: string, args: string[]) =>
      run(async () => (await import('../commands/explain.js')).runExplain({ hook, args }, deps)),
    );

  // A mistake in a command's options points at that command's help.
  const pointAtHelp = (commands: readonly Command[], prefix: string): void => {
    for (const command of commands) {
      const name = `${prefix} ${command.name()}`;
      command.showHelpAfterError(`(run ${name} --help for its options)`);
      pointAtHelp(command.commands, name);
    }
  };
  pointAtHelp(program.commands, 'pw');

  return program;
}

/** `--only a,b c`: worker ids separated by commas or spaces, as one list. */
function idList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter(Boolean)];
}

/** A command's plan, given as its argument or with --plan (as the other commands take it), not both. */
function planArgument(
  argument: string | undefined,
  option: string | undefined,
): string | undefined {
  if (argument !== undefined && option !== undefined && argument !== option)
    throw new UsageError(`the plan is given twice: "${argument}" and --plan "${option}"`, [
      'Give it once, as the argument or with --plan.',
    ]);
  return argument ?? option;
}

/** `--fetch [remote]`: every read command fetches the worker branches from a hub first. */
function fetchOption(): Option {
  return new Option(
    '--fetch [remote]',
    'fetch the worker branches from a hub first and read its copies (default: on when git config pw.hub is set)',
  );
}

function noFetchOption(): Option {
  return new Option('--no-fetch', "do not fetch; still read the hub's copies fetched last");
}

export async function runProgram(
  argv: readonly string[],
  deps: CommandDeps,
  setExitCode: (code: number) => void,
): Promise<void> {
  const program = buildProgram(deps, setExitCode);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') {
      setExitCode(0);
      return;
    }
    if (code === 'commander.help' || code === 'commander.executeSubCommandAsync') {
      setExitCode(0);
      return;
    }
    if (typeof code === 'string' && code.startsWith('commander.')) {
      setExitCode(2);
      return;
    }
    setExitCode(
      handleError(error instanceof Error ? error : new UsageError(String(error)), deps.stderr),
    );
  }
}
