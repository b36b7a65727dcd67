/** Small readers of an agent's JSON output lines, shared by the live signals and the transcript. Pure. */

export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** What a tool call is about, in one string: its command, file or pattern. */
export function toolDetail(input: unknown): string {
  const i = asRecord(input);
  if (!i) return '';
  for (const key of ['command', 'cmd', 'file_path', 'path', 'pattern', 'description'])
    if (typeof i[key] === 'string') return i[key] as string;
  return '';
}
