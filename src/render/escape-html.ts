import { escapeTerminal } from '../domain/text/terminal-text.js';

/**
 * Text for HTML and SVG (XML) content and attribute values. Control and bidi
 * characters are shown as escapes (\x1b, \u202e): XML does not allow most of
 * them even as character references, and a bidi override would reorder the
 * text around it.
 */
export function escapeHtml(text: string): string {
  return escapeTerminal(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
