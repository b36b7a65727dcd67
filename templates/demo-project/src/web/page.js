/** Renders the public status page. */
export function renderPage(services) {
  const rows = services.map((s) => `<li>${s.name}: ${s.up ? 'up' : 'down'}</li>`).join('');
  return `<!doctype html><title>Status</title><h1>Status</h1><ul>${rows}</ul>`;
}
