import type { Retro } from '../../domain/retro/retro.js';
import { escapeTerminal } from '../../domain/text/terminal-text.js';
import { buildRetroDocument, type RetroBlock, type RetroDocumentOptions } from './document.js';

/** Commit and path text: control and bidi characters shown as escapes, never sent raw to a terminal. */
const text = escapeTerminal;

/** A table cell: pipes and line breaks (shown as \x0a) would end the cell. */
function cell(value: string): string {
  return text(value).replace(/\|/g, '\\|');
}

export function renderRetroBlocksMarkdown(blocks: readonly RetroBlock[]): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${text(block.text)}`);
        break;
      case 'paragraph':
        out.push(text(block.text));
        break;
      case 'list':
        out.push(
          block.items
            .map((item, i) => {
              const marker = block.ordered ? `${i + 1}. ` : '- ';
              const indent = ' '.repeat(marker.length);
              return [
                `${marker}${text(item.text)}`,
                ...item.sub.map((s) => `${indent}- ${text(s)}`),
              ].join('\n');
            })
            .join('\n'),
        );
        break;
      case 'table':
        out.push(
          [
            `| ${block.head.map(cell).join(' | ')} |`,
            `| ${block.head.map((_, i) => (block.numeric[i] ? '---:' : '---')).join(' | ')} |`,
            ...block.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
          ].join('\n'),
        );
        break;
      case 'image':
        out.push(`![${text(block.alt)}](${encodeURI(block.src)})`);
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** The retrospective as Markdown. */
export function renderRetroMarkdown(retro: Retro, options: RetroDocumentOptions = {}): string {
  return renderRetroBlocksMarkdown(buildRetroDocument(retro, options));
}
