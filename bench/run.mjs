// npm run bench:run: pw run with 20 scripted agents (each works 2 s, then
// commits COMPLETE) in three dependency layers, --max-workers 5. Reports the
// wall time against the ideal makespan for the graph and the limit (target:
// within 1.15x), the median delay from a provider's COMPLETE commit to its
// dependent's agent starting (target: 300 ms or less), and pw's own CPU time
// per worker.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv, median, sh, tempDir } from './lib.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const bin = join(root, 'dist', 'cli', 'bin.js');
const agent = join(root, 'bench', 'run-agent.sh');
const WORK_MS = 2000;
const LIMIT = 5;
const layers = [8, 7, 5];

const dir = tempDir('pw-bench-run-');
const repo = join(dir, 'repo');
mkdirSync(repo);
sh('git', ['init', '-q', '-b', 'main', repo]);
const workers = [];
layers.forEach((count, layer) => {
  for (let i = 0; i < count; i++) {
    const id = `l${layer}w${i}`;
    const previous = workers.filter((w) => w.layer === layer - 1);
    const dependsOn = previous.length ? [previous[i % previous.length].id] : [];
    workers.push({ id, layer, dependsOn });
    mkdirSync(join(repo, 'src', id), { recursive: true });
    writeFileSync(join(repo, 'src', id, 'index.txt'), `${id}\n`);
  }
});
const plan = [
  'name: bench',
  'workers:',
  ...workers.flatMap((w) => [
    `  - id: ${w.id}`,
    `    owns: ["/src/${w.id}/"]`,
    `    task: Work for ${WORK_MS} ms.`,
    `    agent: sh ${agent}`,
    ...(w.dependsOn.length ? [`    dependsOn: [${w.dependsOn.join(', ')}]`] : []),
  ]),
].join('\n');
writeFileSync(join(repo, 'plan.yaml'), `${plan}\n`);
sh('git', ['add', '-A'], { cwd: repo });
sh('git', ['commit', '-q', '-m', 'bench repository'], { cwd: repo });
sh(process.execPath, [bin, 'setup', 'plan.yaml'], { cwd: repo });

// The ideal makespan: list scheduling in plan order with the limit, zero overhead.
function idealMakespan() {
  const done = new Map();
  const running = [];
  let now = 0;
  const pending = [...workers];
  while (pending.length || running.length) {
    for (const w of [...pending]) {
      if (running.length >= LIMIT) break;
      if (w.dependsOn.every((d) => done.has(d) && done.get(d) <= now)) {
        running.push({ id: w.id, end: now + WORK_MS });
        pending.splice(pending.indexOf(w), 1);
      }
    }
    running.sort((a, b) => a.end - b.end);
    const next = running.shift();
    now = next.end;
    done.set(next.id, now);
  }
  return now;
}

const started = Date.now();
const child = spawn(process.execPath, [bin, 'run', '--json', '--max-workers', String(LIMIT)], {
  cwd: repo,
  env: { ...gitEnv, BENCH_DIR: dir, BENCH_WORK_S: String(WORK_MS / 1000) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// pw's own events (NDJSON), kept for the latency breakdown below.
const eventChunks = [];
child.stdout.on('data', (chunk) => eventChunks.push(chunk));
// pw's own CPU (utime + stime of its process, not its children), sampled until it exits.
let cpuTicks = 0;
const sampler = setInterval(() => {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    cpuTicks = Number(fields[11]) + Number(fields[12]);
  } catch {
    // Exited, or no /proc.
  }
}, 100);
const code = await new Promise((resolve) => child.on('close', resolve));
clearInterval(sampler);
const wall = Date.now() - started;
const times = new Map(
  readFileSync(join(dir, 'times.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map((t) => [t.worker, t]),
);
const delays = workers
  .filter((w) => w.dependsOn.length)
  .map(
    (w) => times.get(w.id).started - Math.max(...w.dependsOn.map((d) => times.get(d).committed)),
  );
// Where a dependent's delay goes: provider's commit -> pw sees it COMPLETE -> the
// provider's tip merged into the dependent -> pw starts its agent -> the agent runs.
const events = Buffer.concat(eventChunks)
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
writeFileSync(join(dir, 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n'));
const eventAt = (type, worker) => {
  const e = events.find((x) => x.type === type && x.worker === worker);
  return e ? Date.parse(e.time) : null;
};
const phases = { seen: [], merged: [], started: [], running: [] };
for (const w of workers.filter((x) => x.dependsOn.length)) {
  const provider = w.dependsOn.reduce((a, b) =>
    times.get(a).committed >= times.get(b).committed ? a : b,
  );
  const committed = times.get(provider).committed;
  const seen = eventAt('worker-complete', provider);
  const merged = eventAt('worker-merged', w.id);
  const started = eventAt('worker-started', w.id);
  if (seen === null || merged === null || started === null) continue;
  phases.seen.push(seen - committed);
  phases.merged.push(merged - seen);
  phases.started.push(started - merged);
  phases.running.push(times.get(w.id).started - started);
}
const ideal = idealMakespan();
const ratio = wall / ideal;
const delay = median(delays);
console.log(
  `pw run: ${workers.length} workers in ${layers.length} layers, --max-workers ${LIMIT}, ${WORK_MS} ms each (exit ${code})`,
);
console.log(
  `  wall time ${wall} ms; ideal makespan ${ideal} ms; ratio ${ratio.toFixed(3)} (target <= 1.15)`,
);
console.log(
  `  COMPLETE commit -> dependent started: median ${delay} ms, max ${Math.max(...delays)} ms (target median <= 300)`,
);
if (phases.seen.length)
  console.log(
    `  medians: commit -> seen COMPLETE ${median(phases.seen)} ms; -> provider merged ${median(phases.merged)} ms; -> agent spawned ${median(phases.started)} ms; -> agent running ${median(phases.running)} ms (slot waits included)`,
  );
const runStarted = events.find((e) => e.type === 'run-started');
const firstAgent = Math.min(...[...times.values()].map((t) => t.started));
const lastCommit = Math.max(...[...times.values()].map((t) => t.committed));
console.log(
  `  start: run-started ${runStarted ? Date.parse(runStarted.time) - started : '?'} ms after pw was started, first agent running at ${firstAgent - started} ms; end: pw exited ${started + wall - lastCommit} ms after the last COMPLETE commit`,
);
console.log(
  `  pw CPU: ${((cpuTicks * 10) / workers.length).toFixed(0)} ms per worker (at 100 ticks/s)`,
);
console.log(`  (repository kept in ${dir})`);
process.exitCode = code === 0 && ratio <= 1.15 && delay <= 300 ? 0 : 1;
