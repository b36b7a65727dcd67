/**
 * A redrawn view for `--watch`. On a terminal it draws on the alternate
 * screen and repaints in place: cursor home, each line followed by "clear to
 * end of line", then "clear to end of screen", so nothing flashes blank; and
 * only when the frame changed. Elsewhere (a pipe, a log) it prints each
 * changed frame once, separated by a blank line.
 */
export interface LiveView {
  show(frame: string): void;
  /** Leaves the alternate screen and prints the last frame where it stays. */
  close(): void;
}

const ESC = '\x1b[';

export function createLiveView(write: (text: string) => void, tty: boolean): LiveView {
  let last: string | null = null;
  let opened = false;
  return {
    show(frame) {
      if (frame === last) return;
      if (!tty) {
        write(last === null ? frame : `\n${frame}`);
        last = frame;
        return;
      }
      if (!opened) {
        // Alternate screen, hide the cursor, clear once.
        write(`${ESC}?1049h${ESC}?25l${ESC}H${ESC}2J`);
        opened = true;
      }
      const body = frame
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `${line}${ESC}K`);
      write(`${ESC}H${body.join('\n')}\n${ESC}J`);
      last = frame;
    },
    close() {
      if (!tty || !opened) return;
      write(`${ESC}?25h${ESC}?1049l`);
      if (last !== null) write(last);
      opened = false;
    },
  };
}
