/**
 * Characters a terminal acts on instead of drawing: C0 and C1 controls, DEL,
 * and the bidi embeddings, overrides and isolates (U+202A-202E,
 * U+2066-2069), which reorder what follows them on the line.
 */
const TERMINAL_CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** The first such character of `text`, or null. */
export function findTerminalControl(text: string): string | null {
  return new RegExp(TERMINAL_CONTROL.source).exec(text)?.[0] ?? null;
}

/** A character as it is written in an escape: \x1b for a byte-sized code, \u202e above. */
export function describeTerminalControl(ch: string): string {
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text from a commit or a path, made safe to print: every control or bidi
 * character shown as its escape (ESC as \x1b, U+202E as \u202e), so a
 * message or file name cannot move the cursor, recolour, retitle or reorder
 * the terminal. Human output only; --json keeps the exact text.
 */
export function escapeTerminal(text: string): string {
  return text.replace(TERMINAL_CONTROL, describeTerminalControl);
}

/** escapeTerminal line by line: the line breaks of a multi-line message stay. */
export function escapeTerminalLines(text: string): string {
  return text.split('\n').map(escapeTerminal).join('\n');
}

/** `text` with every control and bidi character removed, for a suggested corrected header. */
export function stripTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROL, '');
}
