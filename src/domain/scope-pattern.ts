/**
 * The one scope matcher (DESIGN.md section 3). A worker's pattern is parsed
 * once into wildmatch globs; git answers through the pathspecs, and this
 * module answers the same way in memory (`matchesScopePattern`) and decides
 * whether two patterns could ever own the same path (`findPatternOverlap`).
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
type ByteSet = Uint8Array;
type Token = { star: true } | { star: false; bytes: ByteSet };
/** One segment of a glob: `**` (any number of whole segments) or a glob for exactly one segment. */
type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

const GLOBSTAR = '**';
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DASH = 0x2d;
const DOT = 0x2e;
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

const ANY_BYTE = byteSet(() => true);
const ANY_SEGMENT: Token[] = [{ star: true }];

function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

// --- Parsing one segment ----------------------------------------------------

type SegmentProblem =
  | { kind: 'double-star' }
  | { kind: 'lone-backslash' }
  | { kind: 'unclosed-class' }
  | { kind: 'unknown-class'; name: string };

type TokenizedSegment =
  { ok: true; tokens: Token[]; wildcard: boolean } | { ok: false; problem: SegmentProblem };

/** Tokenizes one segment (bytes, never `**` alone) exactly as git's wildmatch reads it. */
function tokenizeSegment(segment: string): TokenizedSegment {
  const tokens: Token[] = [];
  let wildcard = false;
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i];
    if (char === '*') {
      if (segment[i + 1] === '*') return { ok: false, problem: { kind: 'double-star' } };
      tokens.push({ star: true });
      wildcard = true;
    } else if (char === '?') {
      tokens.push({ star: false, bytes: ANY_BYTE });
      wildcard = true;
    } else if (char === '\\') {
      i++;
      if (i >= segment.length) return { ok: false, problem: { kind: 'lone-backslash' } };
      tokens.push({ star: false, bytes: byteSet((b) => b === segment.charCodeAt(i)) });
    } else if (char === '[') {
      const parsed = parseClass(segment, i);
      if (!parsed.ok) return parsed;
      tokens.push({ star: false, bytes: parsed.bytes });
      wildcard = true;
      i = parsed.end;
    } else {
      tokens.push({ star: false, bytes: byteSet((b) => b === segment.charCodeAt(i)) });
    }
  }
  return { ok: true, tokens, wildcard };
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

  let lastIsLiteral = false;
  for (const [i, segment] of segments.entries()) {
    if (segment === GLOBSTAR) {
      lastIsLiteral = false;
      continue;
    }
    const tokenized = tokenizeSegment(toBytes(segment));
    if (!tokenized.ok) {
      const beforeSlash = i < segments.length - 1 || directory;
      return fail(segmentProblemMessage(source, segment, tokenized.problem, beforeSlash));
    }
    lastIsLiteral = !tokenized.wildcard;
  }

  // gitignore/CODEOWNERS: a `/` at the start or in the middle anchors the pattern at the root.
  const anchored = anchoredByRoot || segments.length > 1;
  const rooted = anchored || segments[0] === GLOBSTAR ? segments : [GLOBSTAR, ...segments];
  const variants = directory
    ? [[...rooted, GLOBSTAR]]
    : lastIsLiteral
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

interface CompiledGlob {
  glob: string;
  segments: Segment[];
  regex: RegExp;
}

const compiledPatterns = new WeakMap<ScopePattern, CompiledGlob[]>();

function compile(pattern: ScopePattern): CompiledGlob[] {
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

/** True when `path` (repository-relative, '/'-separated, no leading '/') is owned by the pattern. */
export function matchesScopePattern(pattern: ScopePattern, path: string): boolean {
  const bytes = toBytes(path);
  // git quirk: match_pathspec_item (git's dir.c) compares the pathspec's TEXT
  // with the path before running wildmatch, and a path equal to that text, or
  // inside a directory it names, matches even when the glob would not: so
  // `:(top,glob)docs/*` also owns `docs/*` + `/x`, and `:(top,glob)a[bc]` the
  // file `a[bc]`. Every glob text is a possible path, so no rewrite of the
  // glob avoids it; the matcher follows git so the two never disagree.
  return compile(pattern).some(
    ({ glob, regex }) => path === glob || path.startsWith(`${glob}/`) || regex.test(bytes),
  );
}

// --- Overlap ----------------------------------------------------------------

/** Byte preference for witnesses: readable names first. */
const BYTE_ORDER: number[] = (() => {
  const order: number[] = [];
  const add = (byte: number): void => {
    if (byte !== 0 && byte !== SLASH && !order.includes(byte)) order.push(byte);
  };
  for (const [low, high] of [
    ['a', 'z'],
    ['0', '9'],
    ['A', 'Z'],
    ['_', '_'],
    ['-', '-'],
    ['!', '~'],
    [' ', ' '],
  ] as const) {
    for (let b = low.charCodeAt(0); b <= high.charCodeAt(0); b++) add(b);
  }
  for (let b = 0x80; b < 256; b++) add(b);
  for (let b = 1; b < 0x80; b++) add(b);
  return order;
})();

/**
 * Tracks whether a segment so far spells "", ".", "..", ".g", ".gi", ".git"
 * (any case) or something else, because no tracked path has a segment ".",
 * ".." or ".git" (git's verify_path refuses them).
 */
const NAME = { empty: 0, dot: 1, dotdot: 2, dotG: 3, dotGi: 4, dotGit: 5, other: 6 } as const;
const NAME_STATES = 7;

function nameStep(state: number, byte: number): number {
  const char = String.fromCharCode(byte).toLowerCase();
  if (state === NAME.empty) return char === '.' ? NAME.dot : NAME.other;
  if (state === NAME.dot) return char === '.' ? NAME.dotdot : char === 'g' ? NAME.dotG : NAME.other;
  if (state === NAME.dotG) return char === 'i' ? NAME.dotGi : NAME.other;
  if (state === NAME.dotGi) return char === 't' ? NAME.dotGit : NAME.other;
  return NAME.other;
}

const nameAccepts = (state: number): boolean =>
  state === NAME.dotG || state === NAME.dotGi || state === NAME.other;

/** UTF-8 decoder states: 0 between characters, 1-3 continuation bytes owed, 4-7 a restricted first continuation byte. */
const UTF8_STATES = 8;
const UTF8_INVALID = -1;

function utf8Step(state: number, byte: number): number {
  const continuation = byte >= 0x80 && byte <= 0xbf;
  switch (state) {
    case 0:
      if (byte < 0x80) return 0;
      if (byte >= 0xc2 && byte <= 0xdf) return 1;
      if (byte === 0xe0) return 4;
      if (byte === 0xed) return 5;
      if (byte >= 0xe1 && byte <= 0xef) return 2;
      if (byte === 0xf0) return 6;
      if (byte === 0xf4) return 7;
      if (byte >= 0xf1 && byte <= 0xf3) return 3;
      return UTF8_INVALID;
    case 1:
    case 2:
    case 3:
      return continuation ? state - 1 : UTF8_INVALID;
    case 4:
      return byte >= 0xa0 && byte <= 0xbf ? 1 : UTF8_INVALID;
    case 5:
      return byte >= 0x80 && byte <= 0x9f ? 1 : UTF8_INVALID;
    case 6:
      return byte >= 0x90 && byte <= 0xbf ? 2 : UTF8_INVALID;
    default:
      return byte >= 0x80 && byte <= 0x8f ? 2 : UTF8_INVALID;
  }
}

/** Bytes that the name and UTF-8 trackers treat alike share a group; one byte per group is enough. */
const BYTE_GROUP: number[] = Array.from({ length: 256 }, (_, byte) => {
  const special = '.gGiItT'.indexOf(String.fromCharCode(byte));
  if (special >= 0) return 256 + special;
  if (byte < 0x80) return 0;
  const ranges = [
    [0x80, 0x8f],
    [0x90, 0x9f],
    [0xa0, 0xbf],
    [0xc2, 0xdf],
    [0xe0, 0xe0],
    [0xe1, 0xec],
    [0xed, 0xed],
    [0xee, 0xef],
    [0xf0, 0xf0],
    [0xf1, 0xf3],
    [0xf4, 0xf4],
  ];
  return ranges.find(([low = 0, high = 0]) => byte >= low && byte <= high)?.[0] ?? 1;
});

/** How picky a witness segment is, from most to least: valid UTF-8 and no leading dot, valid UTF-8, any bytes. */
const WITNESS_LEVELS = [
  { utf8: true, leadingDot: false },
  { utf8: true, leadingDot: true },
  { utf8: false, leadingDot: true },
] as const;

type State = [i: number, j: number, name: number, code: number];

/**
 * A valid segment (bytes) matched by both one-segment globs, or null. BFS over
 * (position in a, position in b, name tracker, UTF-8 tracker): `*` loops or is
 * skipped, other tokens consume one byte from the intersection of their sets.
 * Tried at each witness level in turn, so the answer reads well when it can.
 */
function segmentOverlap(a: Token[], b: Token[]): string | null {
  for (const level of WITNESS_LEVELS) {
    const witness = segmentOverlapAt(a, b, level);
    if (witness !== null) return witness;
  }
  return null;
}

function segmentOverlapAt(
  a: Token[],
  b: Token[],
  level: (typeof WITNESS_LEVELS)[number],
): string | null {
  const key = ([i, j, name, code]: State): number =>
    ((i * (b.length + 1) + j) * NAME_STATES + name) * UTF8_STATES + code;
  const parents = new Map<number, { from: number; byte: number | null }>();
  const states = new Map<number, State>();
  const queue: number[] = [];
  const visit = (state: State, from: number, byte: number | null): void => {
    const k = key(state);
    if (states.has(k)) return;
    states.set(k, state);
    parents.set(k, { from, byte });
    queue.push(k);
  };
  visit([0, 0, NAME.empty, 0], -1, null);

  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as number;
    const [i, j, name, code] = states.get(current) as State;
    const tokenA = a[i];
    const tokenB = b[j];
    if (!tokenA && !tokenB && nameAccepts(name) && code === 0) {
      const bytes: number[] = [];
      for (let k = current; k >= 0;) {
        const parent = parents.get(k) as { from: number; byte: number | null };
        if (parent.byte !== null) bytes.push(parent.byte);
        k = parent.from;
      }
      return String.fromCharCode(...bytes.reverse());
    }
    if (tokenA?.star) visit([i + 1, j, name, code], current, null);
    if (tokenB?.star) visit([i, j + 1, name, code], current, null);
    if (!tokenA || !tokenB) continue;
    const setA = tokenA.star ? ANY_BYTE : tokenA.bytes;
    const setB = tokenB.star ? ANY_BYTE : tokenB.bytes;
    const next: State = [tokenA.star ? i : i + 1, tokenB.star ? j : j + 1, 0, 0];
    const groups = new Set<number>();
    for (const byte of BYTE_ORDER) {
      if (setA[byte] !== 1 || setB[byte] !== 1) continue;
      const group = BYTE_GROUP[byte] as number;
      if (groups.has(group)) continue;
      groups.add(group);
      if (!level.leadingDot && name === NAME.empty && byte === DOT) continue;
      const nextCode = level.utf8 ? utf8Step(code, byte) : 0;
      if (nextCode === UTF8_INVALID) continue;
      visit([next[0], next[1], nameStep(name, byte), nextCode], current, byte);
    }
  }
  return null;
}

/**
 * Segments of a path in both languages, or null. Memoised over positions in
 * the two segment lists; `**` is zero or more segments, so a trailing `**`
 * (at least one segment, as in git) is read as `**` followed by `*`.
 */
function languageOverlap(a: Segment[], b: Segment[]): string[] | null {
  const normalize = (segments: Segment[]): Segment[] =>
    segments.at(-1)?.globstar ? [...segments, { globstar: false, tokens: ANY_SEGMENT }] : segments;
  const left = normalize(a);
  const right = normalize(b);
  const memo = new Map<number, string[] | null>();
  const solve = (p: number, q: number): string[] | null => {
    const segA = left[p];
    const segB = right[q];
    if (!segA && !segB) return [];
    const k = p * (right.length + 1) + q;
    const known = memo.get(k);
    if (known !== undefined) return known;
    let result: string[] | null = null;
    if (segA?.globstar) result = solve(p + 1, q);
    if (!result && segB?.globstar) result = solve(p, q + 1);
    if (!result && segA && segB && !(segA.globstar && segB.globstar)) {
      const segment = segmentOverlap(
        segA.globstar ? ANY_SEGMENT : segA.tokens,
        segB.globstar ? ANY_SEGMENT : segB.tokens,
      );
      const rest =
        segment === null ? null : solve(segA.globstar ? p : p + 1, segB.globstar ? q : q + 1);
      if (segment !== null && rest) result = [segment, ...rest];
    }
    memo.set(k, result);
    return result;
  };
  return solve(0, 0);
}

/**
 * A path both patterns would own (an example for the error message), or null when none can exist. Conservative: may answer a path when unsure, must never answer null when an overlap exists.
 *
 * One deliberate exception: paths that only git's literal-text quirk (see
 * `matchesScopePattern`) adds are not counted. They need a directory named
 * after a glob (`**`, `*.md`), and counting them would make every floating
 * pattern overlap every other (`*.md` and `*.txt` both own `**` + `/*.md/a.txt`).
 */
export function findPatternOverlap(a: ScopePattern, b: ScopePattern): string | null {
  for (const left of compile(a)) {
    for (const right of compile(b)) {
      const segments = languageOverlap(left.segments, right.segments);
      // A witness in bytes that are not UTF-8 is still an overlap (git tracks any bytes); it just prints lossily.
      if (segments) return Buffer.from(segments.join('/'), 'latin1').toString('utf8');
    }
  }
  return null;
}
