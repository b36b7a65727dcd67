/**
 * The one scope matcher (DESIGN.md section 3), in three parts: this module
 * parses a worker's pattern once into wildmatch globs and compiles them;
 * git answers through the pathspecs, `scope-match.ts` answers the same way
 * in memory (`matchesScopePattern`), and `scope-overlap.ts` decides whether
 * two patterns could ever own the same path (`findPatternOverlap`).
 *
 * Everything works on the UTF-8 BYTES of patterns and paths, held in latin1
 * strings (one char per byte), because git's wildmatch compares bytes: `?`
 * is one byte, so it does not match `é` but `??` does.
 */

export interface ScopePattern {
  /** The pattern as the user wrote it. */
  source: string;
  /** Equivalent wildmatch globs (git's glob pathspec syntax, no magic prefix); a path is matched when any glob matches it. */
  globs: string[];
  /** The same globs as git pathspecs: `:(top,glob)<glob>`. */
  pathspecs: string[];
}

export type ParsedPattern = { ok: true; pattern: ScopePattern } | { ok: false; problem: string };

/** 256 flags, one per byte. Never holds `/` or NUL: no path segment contains them. */
export type ByteSet = Uint8Array;
export type Token = { star: true } | { star: false; bytes: ByteSet };
/** One segment of a glob: `**` (any number of whole segments) or a glob for exactly one segment. */
export type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

const GLOBSTAR = '**';
export const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
export const DOT = 0x2e;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = ']';

function byteSet(predicate: (byte: number) => boolean): ByteSet {
  const set = new Uint8Array(256);
  for (let byte = 1; byte < 256; byte++) {
    if (byte !== SLASH && predicate(byte)) set[byte] = 1;
  }
  return set;
}

const between = (byte: number, low: string, high: string): boolean =>
  byte >= low.charCodeAt(0) && byte <= high.charCodeAt(0);

/**
 * POSIX classes as git's wildmatch evaluates them: ASCII only (git's own
 * ctype, not the locale's), and `space` is only tab, LF, CR and space (no VT
 * or FF). Checked byte by byte against git 2.39.
 */
const NAMED_CLASSES: Record<string, (byte: number) => boolean> = {
  alnum: (b) => between(b, '0', '9') || between(b, 'A', 'Z') || between(b, 'a', 'z'),
  alpha: (b) => between(b, 'A', 'Z') || between(b, 'a', 'z'),
  blank: (b) => b === 0x09 || b === 0x20,
  cntrl: (b) => b < 0x20 || b === 0x7f,
  digit: (b) => between(b, '0', '9'),
  graph: (b) => b > 0x20 && b < 0x7f,
  lower: (b) => between(b, 'a', 'z'),
  print: (b) => b >= 0x20 && b < 0x7f,
  punct: (b) =>
    b > 0x20 && b < 0x7f && !between(b, '0', '9') && !between(b, 'A', 'Z') && !between(b, 'a', 'z'),
  space: (b) => b === 0x09 || b === 0x0a || b === 0x0d || b === 0x20,
  upper: (b) => between(b, 'A', 'Z'),
  xdigit: (b) => between(b, '0', '9') || between(b, 'A', 'F') || between(b, 'a', 'f'),
};

export const ANY_BYTE = byteSet(() => true);
export const ANY_SEGMENT: Token[] = [{ star: true }];

export function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

// --- Parsing one segment ----------------------------------------------------

type SegmentProblem =
  | { kind: 'double-star' }
  | { kind: 'lone-backslash' }
  | { kind: 'unclosed-class' }
  | { kind: 'unknown-class'; name: string };

type TokenizedSegment = { ok: true; tokens: Token[] } | { ok: false; problem: SegmentProblem };

/** Tokenizes one segment (bytes, never `**` alone) exactly as git's wildmatch reads it. */
function tokenizeSegment(segment: string): TokenizedSegment {
  const tokens: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i];
    if (char === '*') {
      if (segment[i + 1] === '*') return { ok: false, problem: { kind: 'double-star' } };
      tokens.push({ star: true });
    } else if (char === '?') {
      tokens.push({ star: false, bytes: ANY_BYTE });
    } else if (char === '\\') {
      i++;
      if (i >= segment.length) return { ok: false, problem: { kind: 'lone-backslash' } };
      tokens.push({ star: false, bytes: byteSet((b) => b === segment.charCodeAt(i)) });
    } else if (char === '[') {
      const parsed = parseClass(segment, i);
      if (!parsed.ok) return parsed;
      tokens.push({ star: false, bytes: parsed.bytes });
      i = parsed.end;
    } else {
      tokens.push({ star: false, bytes: byteSet((b) => b === segment.charCodeAt(i)) });
    }
  }
  return { ok: true, tokens };
}

type ParsedClass =
  { ok: true; bytes: ByteSet; end: number } | { ok: false; problem: SegmentProblem };

/**
 * A `[...]` class starting at `start`, read the way git's wildmatch.c reads
 * it: the first member is taken before looking for `]` (so `[]a]` and `[!]a]`
 * hold `]`), `-` after a single member makes a range, `\` escapes, and
 * `[:name:]` names a class (a `[:` without a closing `:]` is a literal `[`).
 */
function parseClass(segment: string, start: number): ParsedClass {
  const unclosed: ParsedClass = { ok: false, problem: { kind: 'unclosed-class' } };
  const members = new Uint8Array(256);
  let j = start + 1;
  const negated = segment[j] === '!' || segment[j] === '^';
  if (negated) j++;
  let previous = -1;
  for (let first = true; first || segment[j] !== CLOSE_BRACKET; first = false) {
    if (j >= segment.length) return unclosed;
    const byte = segment.charCodeAt(j);
    let current = byte;
    if (byte === BACKSLASH) {
      j++;
      if (j >= segment.length) return unclosed;
      current = segment.charCodeAt(j);
      members[current] = 1;
    } else if (
      byte === DASH &&
      previous >= 0 &&
      j + 1 < segment.length &&
      segment[j + 1] !== CLOSE_BRACKET
    ) {
      j++;
      let end = segment.charCodeAt(j);
      if (end === BACKSLASH) {
        j++;
        if (j >= segment.length) return unclosed;
        end = segment.charCodeAt(j);
      }
      for (let b = previous; b <= end; b++) members[b] = 1;
      current = -1;
    } else if (byte === OPEN_BRACKET && segment[j + 1] === ':') {
      const close = segment.indexOf(CLOSE_BRACKET, j + 2);
      if (close < 0) return unclosed;
      if (close - (j + 2) - 1 < 0 || segment[close - 1] !== ':') {
        members[OPEN_BRACKET] = 1;
      } else {
        const name = segment.slice(j + 2, close - 1);
        const predicate = Object.hasOwn(NAMED_CLASSES, name) ? NAMED_CLASSES[name] : undefined;
        if (!predicate) return { ok: false, problem: { kind: 'unknown-class', name } };
        for (let b = 1; b < 256; b++) if (predicate(b)) members[b] = 1;
        current = -1;
        j = close;
      }
    } else {
      members[byte] = 1;
    }
    previous = current;
    j++;
  }
  return { ok: true, bytes: byteSet((b) => (members[b] === 1) !== negated), end: j };
}

// --- Parsing a pattern ------------------------------------------------------

const CLASS_NAMES = Object.keys(NAMED_CLASSES).join(', ');

function segmentProblemMessage(
  source: string,
  segment: string,
  problem: SegmentProblem,
  beforeSlash: boolean,
): string {
  const quoted = `"${source}"`;
  switch (problem.kind) {
    case 'double-star': {
      const fixed = /^\*+$/.test(segment) ? GLOBSTAR : segment.replace(/\*{2,}/g, '*');
      return `scope pattern ${quoted}: "**" only works as a whole path segment (like "a/**/b"); inside a name write "*" ("${fixed}")`;
    }
    case 'lone-backslash':
      return beforeSlash
        ? `scope pattern ${quoted} has a "\\" before "/", but "/" cannot be escaped: write "\\\\" for a literal backslash`
        : `scope pattern ${quoted} ends with a lone "\\": write "\\\\" for a literal backslash`;
    case 'unclosed-class':
      return `scope pattern ${quoted} has an unclosed "[" in "${segment}": close it with "]" (a class cannot contain "/"), or write "\\[" for a literal "["`;
    case 'unknown-class':
      return `scope pattern ${quoted} uses an unknown character class "[:${problem.name}:]": use one of ${CLASS_NAMES}`;
  }
}

/** Drops a `**` segment that follows another: two in a row mean the same as one. */
function collapseGlobstars(segments: string[]): string[] {
  return segments.filter((segment, i) => !(segment === GLOBSTAR && segments[i - 1] === GLOBSTAR));
}

/** Validates a scope pattern and compiles it to globs and pathspecs; a problem is one line saying what to write instead. */
export function parseScopePattern(source: string): ParsedPattern {
  const fail = (problem: string): ParsedPattern => ({ ok: false, problem });
  const quoted = `"${source}"`;

  if (source.trim() === '') {
    return fail(
      'scope pattern is empty: write a path such as "src/api/", "/package.json" or "*.md"',
    );
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(source)) {
    return fail(
      `scope pattern ${JSON.stringify(source)} contains a control character (tab, newline, ...): remove it`,
    );
  }
  if (source !== source.trim()) {
    return fail(
      `scope pattern ${quoted} has leading or trailing whitespace: remove it ("${source.trim()}")`,
    );
  }
  if (source.startsWith('!')) {
    return fail(
      `scope pattern ${quoted} starts with "!", but negation is not supported: list only the paths the worker owns (write "\\!" for a name that starts with "!")`,
    );
  }

  const anchoredByRoot = source.startsWith('/');
  const directory = source.endsWith('/');
  const body = source.slice(anchoredByRoot ? 1 : 0, directory ? -1 : undefined);
  if (body === '') {
    return fail(
      `scope pattern ${quoted} names no path: write "**" to own every file, or "/dir/" for one directory`,
    );
  }
  const segments = body.split('/');
  if (segments.includes('')) {
    return fail(
      `scope pattern ${quoted} has an empty path segment ("//"): write "${source.replace(/\/{2,}/g, '/')}"`,
    );
  }
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return fail(
      `scope pattern ${quoted} has a "." or ".." segment: write the path from the repository root without it`,
    );
  }
  if (segments.some((segment) => segment.toLowerCase() === '.git')) {
    return fail(
      `scope pattern ${quoted} has a ".git" segment, but git never tracks files inside .git: remove it`,
    );
  }

  for (const [i, segment] of segments.entries()) {
    if (segment === GLOBSTAR) continue;
    const tokenized = tokenizeSegment(toBytes(segment));
    if (!tokenized.ok) {
      const beforeSlash = i < segments.length - 1 || directory;
      return fail(segmentProblemMessage(source, segment, tokenized.problem, beforeSlash));
    }
  }

  // gitignore/CODEOWNERS: a `/` at the start or in the middle anchors the pattern at the root.
  const anchored = anchoredByRoot || segments.length > 1;
  const rooted = anchored || segments[0] === GLOBSTAR ? segments : [GLOBSTAR, ...segments];
  // CODEOWNERS (and gitignore): a last segment that matches a directory owns
  // everything below it, wildcard or not (`f*` owns `foo/bar`); only a lone
  // `*` (`docs/*`: direct children) and a trailing `**` stop at what they match.
  const last = segments.at(-1);
  const ownsBelow = last !== '*' && last !== GLOBSTAR;
  const variants = directory
    ? [[...rooted, GLOBSTAR]]
    : ownsBelow
      ? [rooted, [...rooted, GLOBSTAR]]
      : [rooted];
  const globs = [...new Set(variants.map((variant) => collapseGlobstars(variant).join('/')))];
  return {
    ok: true,
    pattern: { source, globs, pathspecs: globs.map((glob) => `:(top,glob)${glob}`) },
  };
}

/** Pathspecs that exclude the pattern: `:(top,glob,exclude)<glob>` for each glob. */
export function excludePathspecs(pattern: ScopePattern): string[] {
  return pattern.globs.map((glob) => `:(top,glob,exclude)${glob}`);
}

// --- Compiling globs --------------------------------------------------------

function globSegments(glob: string): Segment[] {
  return toBytes(glob)
    .split('/')
    .map((segment): Segment => {
      if (segment === GLOBSTAR) return { globstar: true };
      const tokenized = tokenizeSegment(segment);
      if (!tokenized.ok) throw new Error(`not a valid scope glob: ${glob}`);
      return { globstar: false, tokens: tokenized.tokens };
    });
}

const hex = (byte: number): string => `\\x${byte.toString(16).padStart(2, '0')}`;

function byteSetRegex(bytes: ByteSet): string {
  let out = '';
  for (let low = 0; low < 256; low++) {
    if (bytes[low] !== 1) continue;
    let high = low;
    while (high + 1 < 256 && bytes[high + 1] === 1) high++;
    out += low === high ? hex(low) : `${hex(low)}-${hex(high)}`;
    low = high;
  }
  return out === '' ? '(?!)' : `[${out}]`;
}

/** A regex over latin1 byte strings, for valid paths (no empty segments). */
function segmentsRegex(segments: Segment[]): RegExp {
  let out = '';
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment.globstar) {
      // A trailing `/**` matches everything inside (at least one segment); elsewhere `**/` is zero or more directories.
      out += last ? '[^/]+(?:/[^/]+)*' : '(?:[^/]+/)*';
    } else {
      out += segment.tokens
        .map((token) => (token.star ? '[^/]*' : byteSetRegex(token.bytes)))
        .join('');
      if (!last) out += '/';
    }
  });
  return new RegExp(`^${out}$`);
}

export interface CompiledGlob {
  glob: string;
  segments: Segment[];
  regex: RegExp;
}

const compiledPatterns = new WeakMap<ScopePattern, CompiledGlob[]>();

/** The pattern's globs as segments and as a regex, compiled once per pattern. */
export function compileGlobs(pattern: ScopePattern): CompiledGlob[] {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    compiled = pattern.globs.map((glob) => {
      const segments = globSegments(glob);
      return { glob, segments, regex: segmentsRegex(segments) };
    });
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}
