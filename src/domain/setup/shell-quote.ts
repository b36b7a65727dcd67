/** Quotes a value for POSIX sh: single quotes, with each embedded quote closed, escaped and reopened. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
