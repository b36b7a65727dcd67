/** The digest of the build's inputs (src/ and the tsconfig files) under `root`. */
export function sourceStamp(root: string): string;
/** Where the build records the digest of the sources it compiled, relative to the root. */
export const STAMP_FILE: string;
