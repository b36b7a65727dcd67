import type { FailureCategory } from './classify-failure.js';

/** A deterministic source of numbers in [0, 1): tests and `--seed` fix the jitter. */
export type Random = () => number;

/** mulberry32: small, fast and good enough for jitter; the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RetryInput {
  category: FailureCategory;
  /** Failures of this worker so far that count against the limit, this one included. */
  countedFailures: number;
  /** Idle stops of this worker so far, this one included. */
  idleStops: number;
  retries: number;
  backoffMs: number;
  random: Random;
}

export type RetryDecision =
  { retry: true; delayMs: number; counted: boolean } | { retry: false; reason: string };

const MAX_DELAY_MS = 15 * 60_000;
/** Rate limits clear slowly: their backoff starts this many times higher. */
const RATE_LIMIT_FACTOR = 6;

/**
 * Whether and when to start an agent again after an attempt without COMPLETE.
 * Permanent failures never; an idle agent once for free; everything else up
 * to `retries` times, with exponential backoff and up to 50% jitter.
 */
export function planRetry(input: RetryInput): RetryDecision {
  const { category } = input;
  if (category === 'permanent' || category === 'merge')
    return {
      retry: false,
      reason: `${category} failure: starting it again would fail the same way`,
    };
  if (category === 'idle' && input.idleStops <= 1)
    return { retry: true, delayMs: 0, counted: false };
  if (input.countedFailures > input.retries)
    return {
      retry: false,
      reason: `gave up after ${input.countedFailures} failed attempt${input.countedFailures === 1 ? '' : 's'} (--retries ${input.retries})`,
    };
  if (category === 'incomplete') return { retry: true, delayMs: 0, counted: true };
  const factor = category === 'rate-limited' ? RATE_LIMIT_FACTOR : 1;
  const exponential = input.backoffMs * factor * 2 ** Math.max(0, input.countedFailures - 1);
  const jittered = exponential * (1 + 0.5 * input.random());
  return { retry: true, delayMs: Math.round(Math.min(MAX_DELAY_MS, jittered)), counted: true };
}
