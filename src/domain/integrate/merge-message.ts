/** One informational message of `git merge-tree --messages` (a conflict, or "Auto-merging"). */
export interface MergeMessage {
  paths: string[];
  /** git's machine-readable type, e.g. `CONFLICT (contents)`, `Auto-merging`. */
  type: string;
  /** The sentence git prints for it. */
  text: string;
}
