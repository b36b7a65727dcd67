/** Separates the fields of one `git log -z` record (%x1f, the ASCII unit separator). */
export const FIELD = '\x1f';

/** The `--format=` argument for these placeholders, joined by FIELD; a message (%B) goes last. */
export function logFormat(placeholders: readonly string[]): string {
  return `--format=${placeholders.join('%x1f')}`;
}

/**
 * Splits `git log -z` output written with `logFormat` into records of `count`
 * fields. The last field (the message) keeps any FIELD it holds itself.
 * Records with fewer fields are skipped. Pure.
 */
export function parseLogRecords(output: string, count: number): string[][] {
  const records: string[][] = [];
  for (const record of output.split('\0')) {
    // git puts a newline between records when the format ends in %B.
    const text = record.replace(/^\n/, '');
    if (!text.trim()) continue;
    const parts = text.split(FIELD);
    if (parts.length < count) continue;
    records.push([...parts.slice(0, count - 1), parts.slice(count - 1).join(FIELD)]);
  }
  return records;
}
