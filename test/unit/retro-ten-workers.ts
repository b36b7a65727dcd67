/** A scripted ten-worker plan (about six hours, NEEDS between lanes, blocked spans, stalls), for the SVG tests and for looking at the picture. */
import type {
  RetroCommit,
  RetroEvent,
  RetroInput,
  RetroPlanSpec,
} from '../../src/domain/retro/retro.js';

const T0 = Date.parse('2026-02-02T08:00:00Z');
const MIN = 60_000;

export const TEN_IDS = [
  'auth',
  'billing',
  'catalog',
  'checkout',
  'search',
  'notifications',
  'admin-dashboard',
  'mobile-api',
  'docs',
  'infrastructure-terraform-modules',
];

/** A small deterministic generator, so the fixture is the same on every machine. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export function tenWorkerInput(): RetroInput {
  const random = lcg(42);
  const plan: RetroPlanSpec = {
    name: 'shop-rewrite',
    base: 'main',
    baseCommit: 'e'.repeat(40),
    stallAfterMs: 30 * MIN,
    workers: TEN_IDS.map((id, i) => ({
      id,
      owns: [`src/${id}/`],
      dependsOn: i === 3 ? ['billing', 'catalog'] : i === 7 ? ['auth'] : [],
      stallAfterMs: 30 * MIN,
    })),
  };
  let counter = 0;
  const mk = (worker: number, minute: number, message: string): RetroCommit => ({
    sha: `${(worker * 1000 + ++counter).toString(16).padStart(7, '0')}`.padEnd(40, '0'),
    commitTime: T0 + Math.round(minute) * MIN,
    message,
  });
  const histories = new Map<string, RetroCommit[]>();
  const ends = [150, 210, 190, 330, 240, 120, 280, 300, 200, 0];
  TEN_IDS.forEach((id, i) => {
    const commits: RetroCommit[] = [];
    let t = 4 + random() * 20;
    const end = ends[i]!;
    if (end === 0) {
      histories.set(id, commits);
      return;
    }
    while (t < end - 5) {
      commits.push(mk(i, t, `[CHECKPOINT] step at ${Math.round(t)}m`));
      t += 8 + random() * (i === 8 ? 45 : 25);
    }
    if (id === 'catalog')
      commits.splice(3, 0, mk(i, 70, '[CHECKPOINT] product model\n\nProvides: product-model'));
    if (id === 'checkout') {
      commits.push(mk(i, 40, '[NEEDS:catalog/product-model] need products'));
      commits.push(mk(i, 50, '[BLOCKED:waiting for product model] nothing to build on'));
      commits.push(mk(i, 75, '[CHECKPOINT] product model arrived'));
      commits.push(mk(i, 120, '[NEEDS:billing/invoice-api] need invoices'));
    }
    if (id === 'mobile-api') commits.push(mk(i, 60, '[NEEDS:auth/token-format] need tokens'));
    if (id === 'admin-dashboard') {
      commits.push(mk(i, 100, '[BLOCKED:design review] waiting for review'));
      commits.push(mk(i, 170, '[CHECKPOINT] review done'));
    }
    if (id === 'search') commits.push(mk(i, 90, 'quick fix'));
    commits.sort((a, b) => a.commitTime - b.commitTime);
    if (id !== 'mobile-api') commits.push(mk(i, end, `[COMPLETE] ${id} done`));
    histories.set(id, commits);
  });
  const events: RetroEvent[] = [
    { time: new Date(T0).toISOString(), type: 'setup', plan: 'shop-rewrite' },
    {
      time: new Date(T0 + 30 * MIN).toISOString(),
      type: 'refusal',
      plan: 'shop-rewrite',
      worker: 'search',
      hook: 'pre-commit',
    },
  ];
  return { plan, histories, events, now: T0 + 345 * MIN };
}
