/**
 * Splits a command line into words the way sh would quote them ('...', "...",
 * backslash), without running a shell: no expansion, no substitution, no
 * operators. A plan's `agent: node agent.mjs {brief}` becomes an argv.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!))
        word += text[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${text}`);
  if (inWord) words.push(word);
  return words;
}

/**
 * The placeholders an agent command may hold (`pw run` and the launch
 * scripts fill them): `{brief}` (or `{prompt}`), `{worktree}`, `{session}`.
 * Global: use with `replace` or `matchAll`.
 */
export const AGENT_PLACEHOLDER = /\{(brief|prompt|worktree|session)\}/g;
