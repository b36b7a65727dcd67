/**
 * Fills `{{name}}` placeholders in one pass, so a value that itself contains
 * `{{...}}` (a hostile task text, say) is never expanded again.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Za-z]+)\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(values, key) ? values[key]! : whole,
  );
}
