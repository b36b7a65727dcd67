import assert from 'node:assert/strict';
import { test } from 'node:test';
import { route } from '../src/api/routes.js';

test('GET / names the service', () => {
  assert.deepEqual(route('GET', '/'), { status: 200, body: { service: 'acme-status' } });
});

test('unknown routes are 404', () => {
  assert.equal(route('GET', '/nope').status, 404);
});
