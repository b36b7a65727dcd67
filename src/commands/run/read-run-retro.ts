import { readRepoInfo } from '../../git/repo.js';
import {
  buildRunReport,
  renderRunRetroSection,
  type RunReport,
} from '../../render/run/run-report.js';
import { readRunRecord } from '../../store/run/run-record.js';

/** What `pw retro` adds from the run record: attempts, retries, failures and cost per worker. */
export async function readRunRetro(
  cwd: string,
  plan: string,
  /** The plan is torn down: its last run's record was set aside. */
  tornDown = false,
): Promise<{ report: RunReport; markdown: string } | null> {
  const repo = await readRepoInfo(cwd);
  const record = await readRunRecord(repo.commonDir, plan, { tornDown });
  if (!record) return null;
  const report = buildRunReport(
    record,
    'recorded',
    new Map(),
    new Set(Object.keys(record.workers)),
  );
  return { report, markdown: renderRunRetroSection(report) };
}
