/** Maps a request to a status code and a JSON body. */
export function route(method, url) {
  if (method === 'GET' && url === '/') return { status: 200, body: { service: 'acme-status' } };
  return { status: 404, body: { error: `no route for ${method} ${url}` } };
}
