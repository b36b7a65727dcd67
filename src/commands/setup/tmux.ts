import type { CommandDeps } from '../../cli/deps.js';
import { runProgram } from '../../agents/process.js';
import { EnvironmentError } from '../../errors.js';
import { planPaths } from '../../store/trusted-store.js';

import type { SetupContext } from './snapshot.js';

export async function openTmux(
  context: SetupContext,
  deps: CommandDeps,
): Promise<{ session: string; attach: string; alreadyOpen: string[] }> {
  const which = await runProgram('tmux', ['-V'], { reject: false });
  if (which.failed) {
    throw new EnvironmentError('--tmux needs tmux, which is not installed or not on PATH', [
      'Install tmux, or open the workers with the commands setup printed.',
    ]);
  }
  const session = `pw-${context.desired.name}`;
  const paths = planPaths(context.repo.commonDir, context.desired.name);
  const inside = Boolean(deps.env.TMUX);
  const hasSession = !(
    await runProgram('tmux', ['has-session', '-t', `=${session}`], { reject: false })
  ).failed;
  // In the user's own session, names carry the plan so they cannot be taken for other windows.
  const windowName = (id: string) => (inside ? `${context.desired.name}/${id}` : id);
  const listed =
    inside || hasSession
      ? await runProgram(
          'tmux',
          ['list-windows', ...(inside ? [] : ['-t', `=${session}`]), '-F', '#{window_name}'],
          {
            reject: false,
          },
        )
      : null;
  const open = new Set(listed && !listed.failed ? listed.stdout.split('\n') : []);
  const alreadyOpen: string[] = [];
  let sessionMade = hasSession;
  for (const worker of context.desired.workers) {
    // A second setup --tmux must not start a second agent in the same worktree.
    if (open.has(windowName(worker.id))) {
      alreadyOpen.push(worker.id);
      continue;
    }
    const launch = paths.launch(worker.id);
    if (!inside && !sessionMade) {
      await runProgram('tmux', [
        'new-session',
        '-d',
        '-s',
        session,
        '-n',
        worker.id,
        '-c',
        worker.worktree,
        launch,
      ]);
      sessionMade = true;
    } else {
      const target = inside ? [] : ['-t', `=${session}:`];
      await runProgram('tmux', [
        'new-window',
        ...target,
        '-n',
        windowName(worker.id),
        '-c',
        worker.worktree,
        launch,
      ]);
    }
  }
  return {
    session,
    attach: inside ? 'the windows are in this tmux session' : `tmux attach -t ${session}`,
    alreadyOpen,
  };
}
