import {
  ANY_BYTE,
  ANY_SEGMENT,
  DOT,
  SLASH,
  compileGlobs,
  type ScopePattern,
  type Segment,
  type Token,
} from './scope-pattern.js';

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
 * after a glob (`**`, `*`), and counting them would make disjoint scopes
 * overlap (`docs/*` owns a file `a` in a directory literally named `*` in
 * `docs`, and so does the scope of every directory in `docs`).
 */
export function findPatternOverlap(a: ScopePattern, b: ScopePattern): string | null {
  for (const left of compileGlobs(a)) {
    for (const right of compileGlobs(b)) {
      const segments = languageOverlap(left.segments, right.segments);
      // A witness in bytes that are not UTF-8 is still an overlap (git tracks any bytes); it just prints lossily.
      if (segments) return Buffer.from(segments.join('/'), 'latin1').toString('utf8');
    }
  }
  return null;
}
