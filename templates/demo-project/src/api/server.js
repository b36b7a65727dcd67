import { createServer } from 'node:http';
import { route } from './routes.js';

const port = Number(process.env.PORT ?? 8080);

createServer((request, response) => {
  const { status, body } = route(request.method ?? 'GET', request.url ?? '/');
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}).listen(port, () => console.log(`acme-status listening on :${port}`));
