/**
 * A cache of one kind of object (optionally narrowed by a selector), kept by list-then-watch: list, then long-poll a
 * watch from the list's resourceVersion and resume from the last version seen whenever the
 * server ends the poll. A 410 Expired means the server no longer has that history: relist and
 * turn the difference into deletes and upserts. While the server is away the cache stays as it
 * was and the loop retries with back-off (1 s doubling to 30 s, reset by any event).
 */
import type { Clock } from "../../src/lib/clock";
import { systemClock } from "../../src/lib/clock";
import { ApiError } from "./api-error";
import { Backoff, pause } from "./backoff";
import type { ApiClient, Query, WatchEvent } from "./client";

export type KubeObject = Record<string, any>;

export interface ResourceInformerHandlers {
  /** An object is new, or changed (its resourceVersion moved); `old` is the cached one before. */
  onUpsert(obj: KubeObject, old: KubeObject | undefined): void;
  /** An object is gone from the API (its last known state). */
  onDelete(obj: KubeObject): void;
  /** The cache holds every object of the kind (after each complete list). */
  onSynced?(): void;
}

export interface ResourceInformerOptions {
  /** Any client with ApiClient's get and watch (a fake in tests). */
  client: Pick<ApiClient, "get" | "watch">;
  /** The collection, e.g. /api/v1/services. */
  path: string;
  /** Narrows list and watch alike, e.g. { fieldSelector: "spec.nodeName=n1" }. */
  query?: Query;
  /** The cache key of an object (default {@link objectKey}); undefined skips the object. */
  keyOf?: (obj: KubeObject) => string | undefined;
  handlers: ResourceInformerHandlers;
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

const MAX_BACKOFF_MS = 30_000;

/** The cache key: "namespace/name", or "name" for a cluster-scoped object. */
export function objectKey(obj: KubeObject): string | undefined {
  const name = obj?.metadata?.name;
  if (typeof name !== "string" || !name) return undefined;
  const ns = obj.metadata.namespace;
  return typeof ns === "string" && ns ? `${ns}/${name}` : name;
}

/**
 * @example
 * const services = new ResourceInformer({ client, path: "/api/v1/services", handlers: { onUpsert, onDelete } });
 * services.start();
 * // ... services.list(), services.get("default/web")
 * await services.stop();
 */
export class ResourceInformer {
  private readonly objects = new Map<string, KubeObject>();
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private readonly timeoutSeconds: number;
  private readonly clock: Clock;
  private readonly keyOf: (obj: KubeObject) => string | undefined;
  private resourceVersion = "";
  private isSynced = false;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ResourceInformerOptions) {
    this.backoff = new Backoff({ initialMs: 1000, maxMs: MAX_BACKOFF_MS, random: opts.random });
    this.timeoutSeconds = opts.timeoutSeconds ?? 300;
    this.clock = opts.clock ?? systemClock;
    this.keyOf = opts.keyOf ?? objectKey;
  }

  /** Whether a list has completed (the cache then holds every object of the kind). */
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

  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
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

  /** Lists the kind and makes the cache equal to the answer, telling the handlers what changed. */
  private async relist(): Promise<void> {
    const list = await this.opts.client.get(this.opts.path, this.opts.query);
    if (this.stopped) return;
    const fresh = new Map<string, KubeObject>();
    for (const obj of list?.items ?? []) {
      const key = this.keyOf(obj);
      if (key) fresh.set(key, obj);
    }
    for (const [key, old] of [...this.objects]) {
      if (fresh.has(key)) continue;
      this.objects.delete(key);
      this.call(() => this.opts.handlers.onDelete(old));
    }
    for (const [key, obj] of fresh) {
      const old = this.objects.get(key);
      this.objects.set(key, obj);
      if (old?.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.call(() => this.opts.handlers.onUpsert(obj, old));
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
      this.opts.path,
      { ...this.opts.query, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
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
    const key = this.keyOf(obj);
    if (!key) return;
    if (rv) this.resourceVersion = String(rv);
    if (ev.type === "DELETED") {
      if (!this.objects.delete(key)) return;
      this.call(() => this.opts.handlers.onDelete(obj));
      return;
    }
    if (ev.type !== "ADDED" && ev.type !== "MODIFIED") return;
    const old = this.objects.get(key);
    if (old && old.metadata?.resourceVersion === rv) return;
    this.objects.set(key, obj);
    this.call(() => this.opts.handlers.onUpsert(obj, old));
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
