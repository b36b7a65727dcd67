import { watch, type FSWatcher } from 'node:fs';

export interface RefWatcher {
  /** Resolves with 'change' when a watched ref moves, or 'timeout' after `ms`. */
  next(ms: number): Promise<'change' | 'timeout'>;
  close(): void;
}

/** A folder to watch; with `only`, just that entry of it (e.g. `packed-refs` in the common dir). */
export interface WatchTarget {
  folder: string;
  only?: string;
}

/**
 * Wakes a live view when git writes a ref: watches the folders that hold the
 * loose refs and their reflogs, and the common dir for `packed-refs` (git
 * writes `<name>.lock`, then renames it into place). A folder that does not
 * exist, or a platform without fs.watch, leaves only the timer: the caller
 * polls every `ms` anyway, which also catches edits and the passing of time.
 */
export function watchRefs(targets: readonly WatchTarget[]): RefWatcher {
  const watchers: FSWatcher[] = [];
  let pending = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let settle: ((outcome: 'change' | 'timeout') => void) | null = null;
  for (const target of targets) {
    try {
      const watcher = watch(target.folder, { persistent: false }, (_event, name) => {
        const entry = name?.toString() ?? '';
        if (target.only !== undefined && entry !== target.only) return;
        if (entry.endsWith('.lock')) return;
        pending = true;
        wake?.();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Not there (yet), or not watchable: polling covers it.
    }
  }
  return {
    next(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve('change');
      }
      return new Promise((resolve) => {
        settle = resolve;
        timer = setTimeout(() => {
          wake = null;
          settle = null;
          resolve('timeout');
        }, ms);
        wake = () => {
          clearTimeout(timer!);
          wake = null;
          // Let git finish the transaction (lock, write, rename, reflog) before reading.
          timer = setTimeout(() => {
            pending = false;
            settle = null;
            resolve('change');
          }, 25);
        };
      });
    },
    close() {
      for (const watcher of watchers) watcher.close();
      watchers.length = 0;
      // A pending wait must not keep the process alive after the view ends.
      if (timer) clearTimeout(timer);
      settle?.('timeout');
      wake = null;
      settle = null;
    },
  };
}
