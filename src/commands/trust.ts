import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import type { CompiledPlan } from '../domain/plan/plan.js';
import type { TrustProblem } from '../domain/plan/trust-check.js';
import { FailedError } from '../errors.js';
import {
  expectedGuardTable,
  guardTablePath,
  readEditedHookFiles,
  workerHooksDir,
  INSTALL_RECORD,
} from '../git/hooks/index.js';
import {
  readAllTrustRecords,
  readEventsLog,
  readTrustRecord,
  type TrustRecord,
  readTrustedPlanText,
  recordEventsMark,
  recordTrustedPlan,
  trustedPlanRef,
  eventsMarkRef,
} from '../git/trust-refs.js';
import { renderTrustRefusal } from '../render/check/trust.js';
import { exists } from '../store/fs.js';
import {
  listPlanNames,
  planPaths,
  readTextIfExists,
  writeFileAtomic,
} from '../store/trusted-store.js';

/**
 * The one trust check: whether the trusted copies of a plan under .git/pw/
 * still say what setup wrote. Setup records the plan.json it wrote as a git
 * blob (`refs/pw/<plan>/trust/plan`); everything else pw keeps there (the
 * scope files, the guard table, the worker hook scripts) is derived from
 * that plan, and the events log must still start with what pw wrote to it.
 * `pw check`, `pw status`, `pw wait`, `pw integrate` and the hooks' Node path
 * all ask this module, and judge with the recorded plan, never plan.json.
 */

export interface TrustState {
  /** The plan setup recorded (plan.json when none is recorded); null: neither exists. */
  plan: CompiledPlan | null;
  /** Whether setup recorded the plan (not so in a hub, or for a plan set up by an older pw). */
  recorded: boolean;
  problems: TrustProblem[];
}

/** A recorded plan's text as the plan (null: no text, or not JSON). */
export function parseRecordedPlan(text: string | null): CompiledPlan | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as CompiledPlan;
  } catch {
    return null;
  }
}

/**
 * The plans set up here, as recorded (or, set up by an older pw, as plan.json
 * says), with what setup recorded for each (by plan name): the record read
 * once serves the plan and its trust check.
 */
export async function readSetUpPlanRecords(
  cwd: string,
  commonDir: string,
  options: { includeTornDown?: boolean } = {},
): Promise<{ plans: CompiledPlan[]; records: Map<string, TrustRecord> }> {
  const [files, trusted] = await Promise.all([listPlanNames(commonDir), readAllTrustRecords(cwd)]);
  const names = [...new Set([...files, ...trusted.planNames])].sort();
  const plans: CompiledPlan[] = [];
  const records = new Map<string, TrustRecord>();
  for (const name of names) {
    const record = trusted.records.get(name) ?? { planText: null, mark: null };
    records.set(name, record);
    const plan =
      parseRecordedPlan(record.planText) ??
      parseRecordedPlan(await readTextIfExists(planPaths(commonDir, name).plan));
    if (plan && (options.includeTornDown || !plan.tornDownAt)) plans.push(plan);
  }
  return { plans, records };
}

/** Every trusted file of plan `name` that differs from what setup wrote. */
export async function readTrustState(
  cwd: string,
  commonDir: string,
  name: string,
  record?: TrustRecord,
): Promise<TrustState> {
  const paths = planPaths(commonDir, name);
  const shown = (path: string): string => relative(commonDir, path) || path;
  const problems: TrustProblem[] = [];
  const [fileText, { planText: recordedText, mark }] = await Promise.all([
    readTextIfExists(paths.plan),
    record ?? readTrustRecord(cwd, name),
  ]);
  const recorded = parseRecordedPlan(recordedText);
  if (recordedText !== null && fileText !== recordedText) {
    problems.push({
      file: shown(paths.plan),
      worker: null,
      problem: `${fileText === null ? 'was deleted' : 'differs from what setup wrote'} (setup recorded it as ${trustedPlanRef(name)})`,
    });
  }
  // No record (a hub's copy, or a plan set up by an older pw): nothing to compare with.
  if (recordedText === null)
    return { plan: parseRecordedPlan(fileText), recorded: false, problems };
  const plan = recorded;
  if (!plan) return { plan: null, recorded: true, problems };
  if (!plan.tornDownAt) {
    for (const worker of plan.workers) {
      const text = await readTextIfExists(paths.scope(worker.id));
      if (text !== `${worker.pathspecs.join('\n')}\n`) {
        problems.push({
          file: shown(paths.scope(worker.id)),
          worker: worker.id,
          problem: `${text === null ? 'was deleted' : 'differs from the pathspecs setup compiled'} for ${worker.id}`,
        });
      }
    }
    const guardPath = guardTablePath(commonDir, name);
    const guard = await readTextIfExists(guardPath);
    let hooksInstalled = false;
    for (const worker of plan.workers) {
      if (await exists(join(workerHooksDir(commonDir, name, worker.id), INSTALL_RECORD))) {
        hooksInstalled = true;
        break;
      }
    }
    if (guard === null ? hooksInstalled : guard !== expectedGuardTable(plan)) {
      problems.push({
        file: shown(guardPath),
        worker: null,
        problem: `the guard table of the hooks ${guard === null ? 'was deleted' : 'differs from what pw writes for the plan'}`,
      });
    }
    for (const edited of await readEditedHookFiles(commonDir, plan)) {
      problems.push({
        file: shown(edited.file),
        worker: edited.worker,
        problem: `hook script of ${edited.worker} differs from what pw writes (edited or deleted)`,
      });
    }
  }
  if (mark) {
    const now = await readEventsLog(commonDir, name);
    const kept = now?.subarray(0, mark.size);
    const intact =
      kept !== undefined &&
      kept.length === mark.size &&
      createHash('sha256').update(kept).digest('hex') === mark.sha256;
    if (!intact) {
      problems.push({
        file: shown(paths.events),
        worker: null,
        problem: `was cut or rewritten: pw had written ${mark.size} bytes to it (recorded as ${eventsMarkRef(name)})`,
      });
    }
  }
  return { plan, recorded: true, problems };
}

/**
 * Throws, naming every edited trusted file, when plan `name` fails the trust
 * check; `record` is what setup recorded, when the caller read it already.
 */
export async function assertPlanTrusted(
  cwd: string,
  commonDir: string,
  name: string,
  command: string,
  record?: TrustRecord,
): Promise<void> {
  const { problems } = await readTrustState(cwd, commonDir, name, record);
  if (problems.length === 0) return;
  const { message, details } = renderTrustRefusal(command, name, problems);
  throw new FailedError(message, details);
}

/** What setup (and teardown) record after writing plan.json: its text, and the events log. */
export async function recordTrustedCopies(
  cwd: string,
  commonDir: string,
  name: string,
  options: { events: boolean },
): Promise<void> {
  const text = await readTextIfExists(planPaths(commonDir, name).plan);
  if (text !== null && (await readTrustedPlanText(cwd, name)) !== text)
    await recordTrustedPlan(cwd, name, text);
  if (options.events) await recordEventsMark(cwd, commonDir, name);
}

/**
 * `pw hooks install`: puts back plan.json and the scope files as setup
 * recorded them (the hooks and the guard table are rewritten by the install
 * itself) and accepts the events log as it now is. Returns what it repaired.
 */
export async function repairTrustedFiles(
  cwd: string,
  commonDir: string,
  name: string,
): Promise<string[]> {
  const { plan, problems } = await readTrustState(cwd, commonDir, name);
  const recordedText = await readTrustedPlanText(cwd, name);
  if (!plan || problems.length === 0) {
    if (plan && recordedText === null)
      await recordTrustedCopies(cwd, commonDir, name, { events: true });
    return [];
  }
  const paths = planPaths(commonDir, name);
  if (recordedText !== null) await writeFileAtomic(paths.plan, recordedText);
  if (!plan.tornDownAt) {
    for (const worker of plan.workers)
      await writeFileAtomic(paths.scope(worker.id), `${worker.pathspecs.join('\n')}\n`);
  }
  await recordEventsMark(cwd, commonDir, name);
  return problems.map((p) => p.file);
}
