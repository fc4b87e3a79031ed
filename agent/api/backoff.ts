/**
 * Exponential back-off with jitter, for loops that retry against an API server that may be away.
 * The jitter keeps many nodes that lost the server at the same moment from coming back in step.
 */

export interface BackoffOptions {
  /** The first delay (default 1 s). */
  initialMs?: number;
  /** No delay exceeds this (default 30 s), jitter included. */
  maxMs?: number;
  /** Each failure multiplies the delay by this (default 2). */
  factor?: number;
  /** The share of a delay that is random: 0.2 gives delays between 80 % and 100 % (default 0.2). */
  jitter?: number;
  /** A number in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * @example
 * const backoff = new Backoff({ maxMs: 30_000 });
 * await sleep(backoff.next()); // about 1 s, then 2 s, 4 s ... 30 s
 * backoff.reset();             // after a success
 */
export class Backoff {
  private failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    this.failures++;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}

/**
 * Waits `ms`, or less when `signal` aborts first; never rejects. `sleep` is the waiting itself,
 * replaceable in tests.
 */
export function pause(ms: number, signal: AbortSignal, sleep?: (ms: number) => Promise<void>): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    if (sleep) sleep(ms).then(done, done);
    else timer = setTimeout(done, ms);
  });
}
