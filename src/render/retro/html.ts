import { escapeHtml } from '../escape-html.js';
import type { Retro } from '../../domain/retro/retro.js';
import { buildRetroDocument, type RetroBlock } from './document.js';

export { escapeHtml } from '../escape-html.js';

/** The document's inline markup (`code`, **bold**) as HTML; everything else escaped. */
function inline(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.startsWith('`') && part.endsWith('`') && part.length >= 2
        ? `<code>${escapeHtml(part.slice(1, -1))}</code>`
        : escapeHtml(part).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>'),
    )
    .join('');
}

function renderBlock(block: RetroBlock, svg: string | null): string {
  switch (block.type) {
    case 'heading':
      return `<h${block.level}>${inline(block.text)}</h${block.level}>`;
    case 'paragraph':
      return `<p>${inline(block.text)}</p>`;
    case 'list': {
      const tag = block.ordered ? 'ol' : 'ul';
      const items = block.items.map(
        (item) =>
          `<li>${inline(item.text)}${item.sub.length ? `<ul>${item.sub.map((s) => `<li>${inline(s)}</li>`).join('')}</ul>` : ''}</li>`,
      );
      return `<${tag}>\n${items.join('\n')}\n</${tag}>`;
    }
    case 'table': {
      const align = (i: number): string => (block.numeric[i] ? ' class="num"' : '');
      return [
        '<table>',
        `<thead><tr>${block.head.map((h, i) => `<th${align(i)}>${inline(h)}</th>`).join('')}</tr></thead>`,
        '<tbody>',
        ...block.rows.map(
          (row) => `<tr>${row.map((c, i) => `<td${align(i)}>${inline(c)}</td>`).join('')}</tr>`,
        ),
        '</tbody>',
        '</table>',
      ].join('\n');
    }
    case 'image':
      return svg ? `<figure>${svg}</figure>` : '';
  }
}

const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 1280px; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: 0 .25em; border-radius: 3px; }
table { border-collapse: collapse; font-size: 13px; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; white-space: nowrap; }
ol > li { margin-bottom: .6rem; }
figure { margin: 1rem 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
`;

/**
 * Report and timeline in one self-contained HTML file: the SVG is inlined, the
 * style is in the page, nothing is loaded from anywhere.
 */
export function renderRetroHtml(retro: Retro, svg: string): string {
  const blocks = buildRetroDocument(retro, { svgHref: 'inline' });
  const inlineSvg = svg.replace(/^<\?xml[^>]*>\s*/, '');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Retrospective: ${escapeHtml(retro.plan)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...blocks.map((block) => renderBlock(block, inlineSvg)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
