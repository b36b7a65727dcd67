import type { Retro } from '../../domain/retro/retro.js';
import { buildRetroDocument, type RetroBlock, type RetroDocumentOptions } from './document.js';

/** A table cell: pipes and line breaks would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderRetroBlocksMarkdown(blocks: readonly RetroBlock[]): string {
  const out: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'heading':
        out.push(`${'#'.repeat(block.level)} ${block.text}`);
        break;
      case 'paragraph':
        out.push(block.text);
        break;
      case 'list':
        out.push(
          block.items
            .map((item, i) => {
              const marker = block.ordered ? `${i + 1}. ` : '- ';
              const indent = ' '.repeat(marker.length);
              return [`${marker}${item.text}`, ...item.sub.map((s) => `${indent}- ${s}`)].join(
                '\n',
              );
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
        out.push(`![${block.alt}](${encodeURI(block.src)})`);
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** The retrospective as Markdown. */
export function renderRetroMarkdown(retro: Retro, options: RetroDocumentOptions = {}): string {
  return renderRetroBlocksMarkdown(buildRetroDocument(retro, options));
}
