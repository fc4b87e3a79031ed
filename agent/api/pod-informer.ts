/**
 * The node's view of the pods bound to it, kept by list-then-watch: list the node's pods, then
 * long-poll a watch from the list's resourceVersion, and watch again from the last version seen
 * each time the server ends the poll. A 410 Expired means the server no longer has that history:
 * relist and turn the difference into deletes and upserts. When the server is away, the cache
 * stays as it was (the pods keep running) and the loop retries with back-off.
 */
import type { Clock } from "../../src/lib/clock";
import { systemClock } from "../../src/lib/clock";
import { ApiError } from "./api-error";
import { Backoff, pause } from "./backoff";
import type { ApiClient, WatchEvent } from "./client";

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
const MAX_BACKOFF_MS = 30_000;

/**
 * @example
 * const informer = new PodInformer({ client, nodeName: "n1", handlers: { onUpsert, onDelete } });
 * informer.start();
 * // ... informer.list(), informer.get(uid)
 * await informer.stop();
 */
export class PodInformer {
  private readonly pods = new Map<string, Pod>();
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private readonly timeoutSeconds: number;
  private readonly clock: Clock;
  private resourceVersion = "";
  private isSynced = false;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: PodInformerOptions) {
    this.backoff = new Backoff({ initialMs: 1000, maxMs: MAX_BACKOFF_MS, random: opts.random });
    this.timeoutSeconds = opts.timeoutSeconds ?? 300;
    this.clock = opts.clock ?? systemClock;
  }

  /** Whether the first list has completed (the cache is then the node's whole set of pods). */
  get synced(): boolean {
    return this.isSynced;
  }

  /** Starts the loop; it never rejects. Calling it again does nothing. */
  start(): void {
    this.running ??= this.loop().catch((e) => this.report(e));
  }

  /** Ends the watch in flight and waits for the loop to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Every cached pod. */
  list(): Pod[] {
    return [...this.pods.values()];
  }

  get(uid: string): Pod | undefined {
    return this.pods.get(uid);
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        if (this.stopped) return;
        if (await this.watchOnce()) continue;
        // The server ended the watch at once and quietly: do not come straight back.
        await this.wait();
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof ApiError && e.status === 410) {
          this.resourceVersion = "";
          continue;
        }
        this.report(e);
        await this.wait();
      }
    }
  }

  private wait(): Promise<void> {
    return pause(this.backoff.next(), this.abort.signal, this.opts.sleep);
  }

  private selector(): string {
    return `spec.nodeName=${this.opts.nodeName}`;
  }

  /** Lists the node's pods and makes the cache equal to the answer, telling the handlers what changed. */
  private async relist(): Promise<void> {
    const list = await this.opts.client.get(PODS_PATH, { fieldSelector: this.selector() });
    if (this.stopped) return;
    const fresh = new Map<string, Pod>();
    for (const pod of list?.items ?? []) if (pod?.metadata?.uid) fresh.set(pod.metadata.uid, pod);
    for (const [uid, old] of [...this.pods]) {
      if (fresh.has(uid)) continue;
      this.pods.delete(uid);
      this.call(() => this.opts.handlers.onDelete(old));
    }
    for (const [uid, pod] of fresh) {
      const old = this.pods.get(uid);
      this.pods.set(uid, pod);
      if (old?.metadata?.resourceVersion !== pod.metadata.resourceVersion) this.call(() => this.opts.handlers.onUpsert(pod));
    }
    this.resourceVersion = String(list?.metadata?.resourceVersion ?? "");
    this.isSynced = true;
    this.backoff.reset();
    if (this.opts.handlers.onSynced) this.call(() => this.opts.handlers.onSynced!());
  }

  /**
   * One long-poll from the last resourceVersion seen. False when the server ended it early
   * without a single event, which a healthy server does not do.
   */
  private async watchOnce(): Promise<boolean> {
    const started = this.clock.now();
    let events = 0;
    await this.opts.client.watch(
      PODS_PATH,
      { fieldSelector: this.selector(), resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
      (ev) => {
        events++;
        this.backoff.reset();
        this.apply(ev);
      },
      this.abort.signal,
    );
    return events > 0 || this.clock.now() - started >= (this.timeoutSeconds * 1000) / 2;
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object;
    const rv = obj?.metadata?.resourceVersion;
    if (ev.type === "BOOKMARK") {
      if (rv) this.resourceVersion = String(rv);
      return;
    }
    const uid = obj?.metadata?.uid;
    if (!uid) return;
    if (rv) this.resourceVersion = String(rv);
    if (ev.type === "DELETED") {
      this.pods.delete(uid);
      this.call(() => this.opts.handlers.onDelete(obj));
      return;
    }
    if (ev.type !== "ADDED" && ev.type !== "MODIFIED") return;
    const old = this.pods.get(uid);
    if (old && old.metadata?.resourceVersion === rv) return;
    this.pods.set(uid, obj);
    this.call(() => this.opts.handlers.onUpsert(obj));
  }

  /** Runs a handler; one that throws must not stop the loop or lose the cache. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private report(err: unknown): void {
    try {
      this.opts.onError?.(err);
    } catch {
      // a failing error reporter has nowhere left to report to
    }
  }
}
