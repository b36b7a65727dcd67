import type { RunSettings } from '../domain/run/run-settings.js';
import { AGENT_PLACEHOLDER, splitCommandLine } from '../domain/text/command-line.js';

export type AgentKind = 'claude' | 'codex' | 'aider' | 'command';

/** A worker's agent: which profile, its program, and the arguments around pw's own. */
export interface AgentSpec {
  kind: AgentKind;
  /** The program: a name looked up on PATH, or a path. */
  program: string;
  /** For claude, codex and aider: extra arguments (permission flags, model). For command: the argv after the program, with placeholders. */
  args: string[];
}

/** How one attempt starts: the exact argv (no shell) and what goes to stdin. */
export interface AgentInvocation {
  argv: string[];
  stdin: string | null;
  /** A file the prompt must be written to first (aider's --message-file), or null. */
  promptFile: { path: string; content: string } | null;
}

export interface InvocationInput {
  /** The brief on a first start, the continuation prompt on a resume. */
  prompt: string;
  worktree: string;
  /** The session to start (claude: a uuid pw chose) or resume (recorded from the stream). */
  sessionId: string | null;
  resume: boolean;
  /** Where aider's message file goes. */
  promptFilePath: string;
}

const PROFILES = new Set(['claude', 'codex', 'aider']);

/**
 * The profile of a worker's `agent` value: `claude`, `codex` or `aider` (by
 * name, or a command line whose program is one of them: extra words become
 * extra arguments), else `command`: any program, with `{brief}`,
 * `{worktree}` and `{session}` placeholders.
 */
export function resolveAgentSpec(
  agent: string,
  settings: Pick<RunSettings, 'agentArgs'>,
): AgentSpec {
  const words = splitCommandLine(agent);
  if (words.length === 0) throw new Error('the agent command is empty');
  const program = words[0]!;
  const name = program.replace(/^.*\//, '');
  if (PROFILES.has(name)) {
    const kind = name as 'claude' | 'codex' | 'aider';
    return { kind, program, args: [...words.slice(1), ...settings.agentArgs[kind]] };
  }
  if (program === 'command')
    return { kind: 'command', program: words[1] ?? '', args: words.slice(2) };
  return { kind: 'command', program, args: words.slice(1) };
}

/** The argv of one attempt: a first start with the brief, or a resume of the session with a prompt. */
export function buildInvocation(spec: AgentSpec, input: InvocationInput): AgentInvocation {
  switch (spec.kind) {
    case 'claude': {
      const session =
        input.resume && input.sessionId
          ? ['--resume', input.sessionId]
          : input.sessionId
            ? ['--session-id', input.sessionId]
            : [];
      return {
        argv: [
          spec.program,
          '-p',
          input.prompt,
          ...session,
          '--output-format',
          'stream-json',
          '--verbose',
          ...spec.args,
        ],
        stdin: null,
        promptFile: null,
      };
    }
    case 'codex': {
      const resume = input.resume && input.sessionId ? ['resume', input.sessionId] : [];
      return {
        argv: [spec.program, 'exec', '--json', ...spec.args, ...resume, input.prompt],
        stdin: null,
        promptFile: null,
      };
    }
    case 'aider':
      return {
        argv: [
          spec.program,
          '--message-file',
          input.promptFilePath,
          '--yes',
          ...(input.resume ? ['--restore-chat-history'] : []),
          ...spec.args,
        ],
        stdin: null,
        promptFile: { path: input.promptFilePath, content: input.prompt },
      };
    case 'command': {
      let usedPrompt = false;
      const argv = [spec.program, ...spec.args].map((word) =>
        word.replace(AGENT_PLACEHOLDER, (_m, key: string) => {
          if (key === 'brief' || key === 'prompt') {
            usedPrompt = true;
            return input.prompt;
          }
          if (key === 'worktree') return input.worktree;
          return input.sessionId ?? '';
        }),
      );
      return { argv, stdin: usedPrompt ? null : input.prompt, promptFile: null };
    }
  }
}

/** Whether the profile's session id comes from pw (claude) or from the agent's stream (codex). */
export function sessionIdSource(kind: AgentKind): 'pw' | 'stream' | 'none' {
  if (kind === 'claude') return 'pw';
  if (kind === 'codex') return 'stream';
  return kind === 'command' ? 'pw' : 'none';
}

/** What `pw attach` runs: the agent interactively on its recorded session, or why it cannot. */
export type AttachInvocation =
  | { kind: 'ok'; argv: string[]; resumes: boolean }
  /** The profile resumes a session, and none is recorded yet. */
  | { kind: 'no-session' }
  /** A `command` agent with no attach command configured. */
  | { kind: 'no-attach-command' };

export interface AttachInput {
  worktree: string;
  sessionId: string | null;
  /** For `command` agents: the worker's `attach`, else `run.attach`; null when neither is set. */
  attach: string | readonly string[] | null;
}

/**
 * The interactive argv of a profile: `claude --resume <id>`, `codex resume
 * <id>` (its extra arguments first, as options of codex itself), aider
 * plainly (it keeps no session; it reads its chat history from the
 * worktree), a `command` agent by its configured attach command with
 * `{worktree}` and `{session}` filled in. Never a shell.
 */
export function buildAttachInvocation(spec: AgentSpec, input: AttachInput): AttachInvocation {
  switch (spec.kind) {
    case 'claude':
      if (!input.sessionId) return { kind: 'no-session' };
      return {
        kind: 'ok',
        argv: [spec.program, '--resume', input.sessionId, ...spec.args],
        resumes: true,
      };
    case 'codex':
      if (!input.sessionId) return { kind: 'no-session' };
      return {
        kind: 'ok',
        argv: [spec.program, ...spec.args, 'resume', input.sessionId],
        resumes: true,
      };
    case 'aider':
      return { kind: 'ok', argv: [spec.program, ...spec.args], resumes: false };
    case 'command': {
      if (input.attach === null) return { kind: 'no-attach-command' };
      const words =
        typeof input.attach === 'string' ? splitCommandLine(input.attach) : input.attach;
      if (words.length === 0) return { kind: 'no-attach-command' };
      const usesSession = words.some((word) => word.includes('{session}'));
      if (usesSession && !input.sessionId) return { kind: 'no-session' };
      const argv = words.map((word) =>
        word.replace(/\{(worktree|session)\}/g, (_m, key: string) =>
          key === 'worktree' ? input.worktree : (input.sessionId ?? ''),
        ),
      );
      return { kind: 'ok', argv, resumes: usesSession };
    }
  }
}
