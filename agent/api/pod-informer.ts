/**
 * The node's view of the pods bound to it: a {@link ResourceInformer} over the pods whose
 * spec.nodeName is this node, keyed by uid (a pod deleted and recreated under the same name is a
 * different pod). When the server is away the cache stays as it was, so the pods keep running.
 */
import type { Clock } from "../../src/lib/clock";
import type { ApiClient } from "./client";
import { ResourceInformer } from "./resource-informer";

type Pod = Record<string, any>;

export interface PodInformerHandlers {
  /** A pod is new, or changed (its resourceVersion moved). */
  onUpsert(pod: Pod): void;
  /** A pod is gone from the API (its last known state). */
  onDelete(pod: Pod): void;
  /** The cache holds every pod bound to the node (after each complete list). */
  onSynced?(): void;
}

export interface PodInformerOptions {
  /** Any client with ApiClient's get and watch (a fake in tests). */
  client: Pick<ApiClient, "get" | "watch">;
  nodeName: string;
  handlers: PodInformerHandlers;
  /** A number in [0, 1) for the back-off's jitter (default Math.random). */
  random?: () => number;
  /** How long the server keeps each watch open (default 300 s). */
  timeoutSeconds?: number;
  /** Waiting between attempts (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Tells a watch the server ended early from one that ran its course (default the system clock). */
  clock?: Clock;
  /** Failures the loop recovers from, and handlers that threw (default: ignored). */
  onError?: (err: unknown) => void;
}

const PODS_PATH = "/api/v1/pods";

/**
 * @example
 * const informer = new PodInformer({ client, nodeName: "n1", handlers: { onUpsert, onDelete } });
 * informer.start();
 * // ... informer.list(), informer.get(uid)
 * await informer.stop();
 */
export class PodInformer {
  private readonly informer: ResourceInformer;

  constructor(opts: PodInformerOptions) {
    const { handlers } = opts;
    this.informer = new ResourceInformer({
      client: opts.client,
      path: PODS_PATH,
      query: { fieldSelector: `spec.nodeName=${opts.nodeName}` },
      keyOf: (pod) => pod?.metadata?.uid || undefined,
      handlers: {
        onUpsert: (pod) => handlers.onUpsert(pod),
        onDelete: (pod) => handlers.onDelete(pod),
        onSynced: handlers.onSynced && (() => handlers.onSynced!()),
      },
      random: opts.random,
      timeoutSeconds: opts.timeoutSeconds,
      sleep: opts.sleep,
      clock: opts.clock,
      onError: opts.onError,
    });
  }

  /** Whether the first list has completed (the cache is then the node's whole set of pods). */
  get synced(): boolean {
    return this.informer.synced;
  }

  /** Starts the loop; it never rejects. Calling it again does nothing. */
  start(): void {
    this.informer.start();
  }

  /** Ends the watch in flight and waits for the loop to finish. */
  async stop(): Promise<void> {
    await this.informer.stop();
  }

  /** Every cached pod. */
  list(): Pod[] {
    return this.informer.list();
  }

  get(uid: string): Pod | undefined {
    return this.informer.get(uid);
  }
}
