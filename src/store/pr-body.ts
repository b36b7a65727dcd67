import { join } from 'node:path';
import { planPaths, writeFileAtomic } from './trusted-store.js';

/**
 * Writes a pull request's description where `gh pr create --body-file` reads
 * it (`<common dir>/pw/<plan>/pr/<name>.md`): worker text reaches gh through
 * a file, never through a shell or an argument. Kept, as a record of what was sent.
 */
export async function writePullRequestBody(
  commonDir: string,
  plan: string,
  name: string,
  body: string,
): Promise<string> {
  const path = join(planPaths(commonDir, plan).dir, 'pr', `${name}.md`);
  await writeFileAtomic(path, body);
  return path;
}
