import { stripVTControlCharacters } from 'node:util';

/** Pads columns to their widest cell; the last column is not padded. */
export function renderColumns(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) =>
            i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
          )
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** Code points a terminal draws two columns wide (East Asian Wide and Fullwidth, emoji). */
const WIDE =
  /[\u{1100}-\u{115F}\u{2E80}-\u{303E}\u{3041}-\u{33FF}\u{3400}-\u{4DBF}\u{4E00}-\u{9FFF}\u{A000}-\u{A4CF}\u{AC00}-\u{D7A3}\u{F900}-\u{FAFF}\u{FE30}-\u{FE4F}\u{FF00}-\u{FF60}\u{FFE0}-\u{FFE6}\u{20000}-\u{3FFFD}]|\p{Emoji_Presentation}/u;
/** Code points that take no column of their own (combining marks, joiners, variation selectors). */
const ZERO_WIDTH = /\p{Mn}|\p{Me}|\p{Variation_Selector}|[\u{200B}-\u{200F}]/u;

/** Columns one code point takes in a terminal: 0, 1 or 2. */
export function charWidth(char: string): number {
  return ZERO_WIDTH.test(char) ? 0 : WIDE.test(char) ? 2 : 1;
}

/** Width in terminal columns, without escape sequences (colour codes). */
export function visibleLength(text: string): number {
  let width = 0;
  for (const char of stripVTControlCharacters(text)) width += charWidth(char);
  return width;
}
