import { readFile } from 'node:fs/promises';

/** Reads a file from the package's templates/ folder. */
export async function readTemplate(name: string): Promise<string> {
  return readFile(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
}
