import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { computeRetro } from '../../src/domain/retro/retro.js';
import { renderRetroHtml } from '../../src/render/retro/html.js';
import { renderRetroMarkdown } from '../../src/render/retro/markdown.js';
import { pickTickStep, renderRetroSvg } from '../../src/render/retro/svg.js';
import { at, commit, histories, input, setupEvent } from './retro-fixture.js';
import { TEN_IDS, tenWorkerInput } from './retro-ten-workers.js';

/** Parses the SVG as XML; a malformed document throws. */
function parseSvg(svg: string) {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(svg, 'image/svg+xml');
  const all = (tag: string) => Array.from(doc.getElementsByTagName(tag));
  const byClass = (cls: string) =>
    ['g', 'line', 'path', 'rect', 'circle', 'text'].flatMap((tag) =>
      all(tag).filter((el) => (el.getAttribute('class') ?? '').split(' ').includes(cls)),
    );
  return { doc, all, byClass };
}

const iso = (minutes: number): string => new Date(at(minutes)).toISOString();

const integrated = computeRetro(
  input({
    histories: histories({ docsComplete: true }),
    events: [
      setupEvent,
      {
        time: iso(160),
        type: 'integrate',
        plan: 'demo',
        conflicts: [{ workers: ['api', 'web'], paths: ['package.json'] }],
      },
      { time: iso(162), type: 'verify', plan: 'demo', ok: false, worker: 'web' },
      { time: iso(165), type: 'integrate', plan: 'demo', published: 'a'.repeat(40) },
    ],
    now: at(300),
  }),
);

describe('renderRetroSvg', () => {
  it('is well-formed, self-contained XML with one lane per worker', () => {
    const svg = renderRetroSvg(integrated);
    const { doc, all, byClass } = parseSvg(svg);
    expect(doc.documentElement!.tagName).toBe('svg');
    expect(all('script')).toHaveLength(0);
    expect(svg).not.toMatch(/href="http|@import|url\(http|<image/);
    expect(byClass('lane').map((g) => g.getAttribute('data-worker'))).toEqual([
      'api',
      'web',
      'docs',
    ]);
  });

  it('draws a mark per commit, blocked spans, NEEDS arrows, COMPLETE and integrate', () => {
    const { byClass } = parseSvg(renderRetroSvg(integrated));
    // 4 + 9 + 3 commits.
    expect(byClass('mark')).toHaveLength(16);
    expect(byClass('checkpoint')).toHaveLength(3 + 4 + 1);
    expect(byClass('complete')).toHaveLength(1 + 2 + 1);
    expect(byClass('invalid')).toHaveLength(1);
    expect(byClass('blocked-span')).toHaveLength(1);
    const arrows = byClass('need-arrow');
    expect(arrows.map((a) => [a.getAttribute('data-from'), a.getAttribute('data-to')])).toEqual([
      ['web', 'api'],
      ['web', 'api'],
    ]);
    for (const arrow of arrows) expect(arrow.getAttribute('marker-end')).toBe('url(#pw-arrow)');
    expect(byClass('integrate')).toHaveLength(1);
    expect(byClass('conflict')).toHaveLength(2);
    expect(byClass('verify-failure')).toHaveLength(1);
    expect(byClass('legend-item').length).toBeGreaterThanOrEqual(10);
  });

  it('places marks on the shared time axis', () => {
    const { byClass } = parseSvg(renderRetroSvg(integrated));
    const labels = byClass('tick-label').map((t) => t.textContent);
    expect(labels[0]).toBe('0');
    expect(labels).toContain('+1h');
    // api's first checkpoint (+10m) lies left of web's first BLOCKED (+20m).
    const xs = (cls: string) => byClass(cls).map((el) => Number(el.getAttribute('x1')));
    expect(xs('checkpoint')[0]!).toBeLessThan(xs('blocked')[0]!);
  });

  it('draws ten lanes for a ten-worker plan, marks the pending one, and stays legible in size', () => {
    const retro = computeRetro(tenWorkerInput());
    const svg = renderRetroSvg(retro);
    const { doc, byClass } = parseSvg(svg);
    expect(byClass('lane').map((g) => g.getAttribute('data-worker'))).toEqual(TEN_IDS);
    expect(byClass('need-arrow')).toHaveLength(3);
    expect(byClass('now')).toHaveLength(1);
    expect(svg).toContain('no commits');
    const height = Number(doc.documentElement!.getAttribute('height'));
    expect(height).toBeLessThan(900);
    expect(byClass('tick-label').length).toBeGreaterThanOrEqual(4);
    expect(byClass('tick-label').length).toBeLessThanOrEqual(11);
  });

  it('places no label over another: integrate runs close together, NEEDS raised close in time', () => {
    const crowded = computeRetro(
      input({
        histories: new Map([
          [
            'api',
            [
              commit(10, '[CHECKPOINT] a'),
              commit(40, '[CHECKPOINT] m\n\nProvides: user-model, session, token'),
              commit(90, '[COMPLETE] api'),
            ],
          ],
          [
            'web',
            [
              commit(20, '[NEEDS:api/user-model] m'),
              commit(22, '[NEEDS:api/session] s'),
              commit(24, '[NEEDS:docs/glossary] g'),
              commit(50, '[COMPLETE] web'),
            ],
          ],
          [
            'docs',
            [
              commit(21, '[NEEDS:api/token] t'),
              commit(60, '[CHECKPOINT] d\n\nProvides: glossary'),
              commit(95, '[COMPLETE] docs'),
            ],
          ],
        ]),
        events: [
          setupEvent,
          { time: iso(96), type: 'integrate', plan: 'demo', phase: 'published', to: 'a' },
          { time: iso(97), type: 'integrate', plan: 'demo', phase: 'published', to: 'b' },
          { time: iso(99), type: 'teardown', plan: 'demo' },
        ],
      }),
    );
    const { all, byClass } = parseSvg(renderRetroSvg(crowded));
    // Every mark is still drawn.
    expect(byClass('integrate')).toHaveLength(2);
    expect(byClass('need-arrow')).toHaveLength(4);
    // A generous width (0.62em a character) and the text's height around its baseline.
    const labels = all('text').filter(
      (el) =>
        el.getAttribute('class') === 'need-label' ||
        ['integrate', 'teardown', 'now'].includes(
          (el.parentNode as Element | null)?.getAttribute?.('class') ?? '',
        ),
    );
    const boxes = labels.map((el) => {
      const size = Number(el.getAttribute('font-size'));
      const w = (el.textContent ?? '').length * size * 0.62;
      const x = Number(el.getAttribute('x'));
      const y = Number(el.getAttribute('y'));
      const left = el.getAttribute('text-anchor') === 'end' ? x - w : x;
      return {
        text: el.textContent,
        left,
        right: left + w,
        top: y - size * 0.8,
        bottom: y + size * 0.2,
      };
    });
    expect(boxes.map((b) => b.text)).toEqual(expect.arrayContaining(['integrated', 'torn down']));
    // COMPLETE diamonds: `M x,(cy - 10) L…`, 16 wide and 20 high.
    const diamonds = byClass('complete').map((el) => {
      const [mx, my] = /^M([\d.]+),([\d.]+)/.exec(el.getAttribute('d')!)!.slice(1).map(Number);
      return { text: 'a COMPLETE mark', left: mx! - 8, right: mx! + 8, top: my!, bottom: my! + 20 };
    });
    for (const [i, a] of boxes.entries())
      for (const b of [...boxes.slice(i + 1), ...diamonds]) {
        const overlap =
          a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        expect(overlap, `"${a.text}" and "${b.text}" overlap`).toBe(false);
      }
  });

  it('picks tick steps that give a handful of labels', () => {
    expect(pickTickStep(3 * 3_600_000)).toBe(30 * 60_000);
    expect(pickTickStep(10 * 60_000)).toBe(60_000);
    expect(pickTickStep(5 * 86_400_000)).toBe(43_200_000);
  });
});

describe('renderRetroMarkdown and renderRetroHtml', () => {
  it('writes findings, both worker tables and the plan figures', () => {
    const md = renderRetroMarkdown(integrated, { svgHref: 'retro files/timeline.svg' });
    expect(md).toMatch(/^# Retrospective: demo\n/);
    expect(md).toContain('## Findings');
    expect(md).toContain('![Timeline of plan demo](retro%20files/timeline.svg)');
    expect(md).toContain(
      '| `web` | complete | +5m | +2h35m | 2h35m | 50m | 25m | 1h10m | 1 (>30m) |',
    );
    expect(md).toContain('**Critical path** (through dependsOn and NEEDS): `api` → `web`, 2h35m');
    expect(md).toContain("| `web` | `api/session` | +1h | +2h | api's COMPLETE | 1h |");
    expect(md).toContain('**Next time:**');
  });

  it('puts report and picture in one self-contained page', () => {
    const html = renderRetroHtml(integrated, renderRetroSvg(integrated));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toContain('<?xml');
    expect(html).not.toMatch(/<script|<link /);
    expect(html).toContain('<code>api/session</code>');
    expect(html).toContain('<h2>Findings</h2>');
  });
});
