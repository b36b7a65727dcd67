/** Quotes a value for POSIX sh: single quotes, with each embedded quote closed, escaped and reopened. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A word as sh reads it back unchanged: bare when it holds only safe characters, else single-quoted. */
export function shWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : shQuote(value);
}

/** An argv as one sh command line that runs exactly that argv (no expansion of any word). */
export function shCommandLine(argv: readonly string[]): string {
  // A bare first word holding '=' would be read as a variable assignment, not the program.
  return argv
    .map((word, i) => (i === 0 && word.includes('=') ? shQuote(word) : shWord(word)))
    .join(' ');
}
