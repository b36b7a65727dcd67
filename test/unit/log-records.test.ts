import { describe, expect, it } from 'vitest';
import { FIELD, logFormat, parseLogRecords } from '../../src/git/log-records.js';

describe('log records', () => {
  it('the format joins placeholders with %x1f', () => {
    expect(logFormat(['%H', '%P', '%B'])).toBe('--format=%H%x1f%P%x1f%B');
  });

  it('splits -z records into fields; the message keeps its own separators and newlines', () => {
    const a = ['a'.repeat(40), 'b'.repeat(40), 'subject\n\nbody' + FIELD + 'more\n'].join(FIELD);
    const b = ['b'.repeat(40), '', 'root\n'].join(FIELD);
    expect(parseLogRecords(`${a}\0\n${b}\0`, 3)).toEqual([
      ['a'.repeat(40), 'b'.repeat(40), `subject\n\nbody${FIELD}more\n`],
      ['b'.repeat(40), '', 'root\n'],
    ]);
  });

  it('skips empty records and records with too few fields', () => {
    expect(parseLogRecords('', 2)).toEqual([]);
    expect(parseLogRecords(`\n\0only-one-field\0x${FIELD}y\0`, 2)).toEqual([['x', 'y']]);
  });
});
