import { readFile } from 'node:fs/promises';
import { packageFile } from '../cli/package-files.js';

/** Reads a file from the package's templates/ folder. */
export async function readTemplate(name: string): Promise<string> {
  return readFile(packageFile(`templates/${name}`), 'utf8');
}
