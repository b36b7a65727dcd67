import { afterEach, beforeEach } from 'vitest';

// Most integration and e2e tests drive git and pw synchronously (spawnSync).
// Vitest's worker reports each test's progress to the main process and gives
// up on an answer after 60 s, which a worker that never returns to its event
// loop cannot read in time: a run of synchronous tests longer than that ends
// in `Timeout calling "onTaskUpdate"`. Turning the event loop once around each
// test (setImmediate runs after the poll phase that reads those answers)
// bounds every synchronous stretch by a single test.
const turnEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(turnEventLoop);
afterEach(turnEventLoop);
