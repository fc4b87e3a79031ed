/**
 * Posts the node's status: at once when something changed (the agent pokes it: an image pulled,
 * the server back after an outage), and at least every minute so the conditions' heartbeat stays
 * fresh. The Lease is the node's liveness signal; this is what `kubectl get/describe node` shows.
 */
import { Backoff, pause } from "../api/backoff";
import type { ApiClient } from "../api/client";
import type { Clock } from "../../src/lib/clock";
import type { NodeFacts } from "./node-info";
import { nodeStatus, statusFingerprint, type NodeImage } from "./node-status";

type Obj = Record<string, any>;

export interface NodeStatusOptions {
  client: Pick<ApiClient, "get" | "patch">;
  nodeName: string;
  facts: () => Promise<NodeFacts>;
  images: () => Promise<NodeImage[]>;
  clock: Clock;
  /** Posts are at least this far apart, however often the reporter is poked (default 1 s). */
  minIntervalMs?: number;
  /** A post goes out at least this often, changed or not (default 60 s). */
  maxIntervalMs?: number;
  /** A post, or collecting what to post, failed (it is retried). */
  onError?: (err: unknown) => void;
  /** Waiting (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the retry jitter (default Math.random). */
  random?: () => number;
}

export interface NodeStatusReporter {
  stop(): Promise<void>;
  /** Something may have changed: look now (no sooner than minIntervalMs after the last post). */
  poke(): void;
}

/**
 * @example
 * const status = startNodeStatus({ client, nodeName: "n1", facts: () => collectNodeFacts(o), images: listImages, clock: systemClock });
 * status.poke(); // after pulling an image
 * await status.stop();
 */
export function startNodeStatus(opts: NodeStatusOptions): NodeStatusReporter {
  const minInterval = opts.minIntervalMs ?? 1000;
  const maxInterval = opts.maxIntervalMs ?? 60_000;
  const nodePath = `/api/v1/nodes/${encodeURIComponent(opts.nodeName)}`;
  const backoff = new Backoff({ initialMs: Math.min(1000, maxInterval), maxMs: maxInterval, random: opts.random });
  const abort = new AbortController();
  let poked = false;
  let wake: (() => void) | undefined;
  /** The status as the server last showed it; undefined until read. */
  let stored: Obj | undefined;
  let lastPost = Number.NEGATIVE_INFINITY;

  /** Waits `ms`, or until poked. */
  async function idle(ms: number): Promise<void> {
    if (poked || ms <= 0) return;
    const quiet = new AbortController();
    const onStop = () => quiet.abort();
    abort.signal.addEventListener("abort", onStop, { once: true });
    wake = () => quiet.abort();
    await pause(ms, quiet.signal, opts.sleep);
    wake = undefined;
    abort.signal.removeEventListener("abort", onStop);
  }

  async function reportOnce(): Promise<void> {
    stored ??= (await opts.client.get(nodePath))?.status ?? {};
    const [facts, images] = await Promise.all([opts.facts(), opts.images()]);
    const now = opts.clock.now();
    const desired = nodeStatus(facts, images, stored!.conditions, now);
    if (now - lastPost < maxInterval && statusFingerprint(desired) === statusFingerprint(stored)) return;
    const node = await opts.client.patch(`${nodePath}/status`, { status: desired }, "strategic");
    stored = node?.status ?? desired;
    lastPost = now;
  }

  function report(err: unknown): void {
    try {
      opts.onError?.(err);
    } catch {
      // the reporter's own failure is not the status loop's
    }
  }

  async function loop(): Promise<void> {
    while (!abort.signal.aborted) {
      poked = false;
      try {
        await reportOnce();
        backoff.reset();
        await idle(lastPost + maxInterval - opts.clock.now());
        // A poke right after a post waits out the minimum spacing.
        const early = lastPost + minInterval - opts.clock.now();
        if (early > 0) await pause(early, abort.signal, opts.sleep);
      } catch (e) {
        if (abort.signal.aborted) return;
        report(e);
        await idle(backoff.next());
      }
    }
  }

  const running = loop().catch(report);
  return {
    poke() {
      poked = true;
      wake?.();
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}
