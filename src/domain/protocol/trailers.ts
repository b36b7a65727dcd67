/** One `key: value` trailer of a commit message, continuation lines unfolded. */
export interface Trailer {
  key: string;
  value: string;
}

export interface TrailerOptions {
  /** core.commentChar; lines starting with it are comments. */
  commentChar?: string;
  /** Keys configured as trailer.<token>.key, which count as recognised like git's own. */
  configuredKeys?: readonly string[];
}

// Prefixes git writes itself (trailer.c, git_generated_prefixes): one of them
// lets a last paragraph that is only 25% trailers still count as the block.
const GIT_GENERATED_PREFIXES = ['Signed-off-by: ', '(cherry picked from commit '];

/**
 * The trailers of a commit message by git's rules (git help
 * interpret-trailers; trailer.c), as `git interpret-trailers --parse
 * --no-divider` reads them: only the last paragraph, never the title
 * paragraph, counts; it is the trailer block when all its lines are trailers
 * or continuation lines, or when at least 25% are and one is git-generated or
 * configured. A trailer is `<token>: <value>` with a token of letters, digits
 * and '-', optionally followed by blanks before the colon; a line starting
 * with a blank continues the trailer above it.
 */
export function parseTrailers(message: string, options: TrailerOptions = {}): Trailer[] {
  const commentChar = options.commentChar ?? '#';
  const isComment = (line: string) => commentChar !== '' && line.startsWith(commentChar);
  const lines = endOfMessage(message.replace(/\r\n/g, '\n').split('\n'), isComment);
  const start = findTrailerBlockStart(lines, isComment, options.configuredKeys ?? []);
  if (start === null) return [];
  const trailers: Trailer[] = [];
  let last: Trailer | null = null;
  for (const line of lines.slice(start)) {
    if (isComment(line)) continue;
    if (last && /^\s/.test(line)) {
      // git joins the lines, then folds each newline and the blanks after it into one space.
      last.value = `${last.value} ${line.trimStart()}`;
      continue;
    }
    const separator = findSeparator(line);
    if (separator < 1) {
      last = null;
      continue;
    }
    last = { key: line.slice(0, separator).trim(), value: line.slice(separator + 1).trimStart() };
    trailers.push(last);
  }
  return trailers.map((t) => ({ key: t.key, value: t.value.trim() }));
}

/** The values of the trailers named `key` (compared case-insensitively, as git does). */
export function trailerValues(message: string, key: string, options?: TrailerOptions): string[] {
  const wanted = key.toLowerCase();
  return parseTrailers(message, options)
    .filter((t) => t.key.toLowerCase() === wanted)
    .map((t) => t.value);
}

/** The value of the last trailer named `key` (case-insensitively), or null. */
export function trailerValue(trailers: readonly Trailer[], key: string): string | null {
  const wanted = key.toLowerCase();
  return trailers.findLast((t) => t.key.toLowerCase() === wanted)?.value ?? null;
}

// The message without what git ignores at its end: everything below the
// scissors line, and trailing blank and comment lines (ignored_log_message_bytes).
function endOfMessage(lines: string[], isComment: (line: string) => boolean): string[] {
  const scissors = lines.findIndex((l) => /^. -+ >8 -+$/.test(l) && isComment(l));
  const kept = scissors === -1 ? lines : lines.slice(0, scissors);
  let end = kept.length;
  while (end > 0 && (isBlank(kept[end - 1]!) || isComment(kept[end - 1]!))) end--;
  return kept.slice(0, end);
}

function isBlank(line: string): boolean {
  return /^\s*$/.test(line);
}

/** Where the token ends (the colon), or -1 when the line is not `<token>[blanks]:`. */
function findSeparator(line: string): number {
  const match = /^[A-Za-z0-9-]+[ \t]*:/.exec(line);
  return match ? match[0].length - 1 : -1;
}

// trailer.c, find_trailer_block_start: scan up from the end to the first blank
// line below the title paragraph, counting trailer and other lines.
function findTrailerBlockStart(
  lines: string[],
  isComment: (line: string) => boolean,
  configuredKeys: readonly string[],
): number | null {
  let endOfTitle = 0;
  while (
    endOfTitle < lines.length &&
    (isComment(lines[endOfTitle]!) || !isBlank(lines[endOfTitle]!))
  )
    endOfTitle++;
  const configured = configuredKeys.map((k) => k.toLowerCase());
  let recognised = false;
  let trailerLines = 0;
  let otherLines = 0;
  let continuations = 0;
  for (let i = lines.length - 1; i >= endOfTitle; i--) {
    const line = lines[i]!;
    if (isComment(line)) {
      otherLines += continuations;
      continuations = 0;
      continue;
    }
    if (isBlank(line)) {
      otherLines += continuations;
      if (recognised && trailerLines * 3 >= otherLines) return i + 1;
      if (trailerLines > 0 && otherLines === 0) return i + 1;
      return null;
    }
    if (GIT_GENERATED_PREFIXES.some((p) => line.startsWith(p))) {
      trailerLines++;
      continuations = 0;
      recognised = true;
      continue;
    }
    const separator = findSeparator(line);
    if (separator >= 1) {
      trailerLines++;
      continuations = 0;
      if (configured.includes(line.slice(0, separator).trim().toLowerCase())) recognised = true;
    } else if (/^\s/.test(line)) {
      continuations++;
    } else {
      otherLines += 1 + continuations;
      continuations = 0;
    }
  }
  return null;
}
