import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../agent/api/api-error";
import type { Query, WatchEvent } from "../../agent/api/client";
import { PodInformer } from "../../agent/api/pod-informer";
import { ManualClock } from "../../src/lib/clock";

type Pod = Record<string, any>;

const pod = (uid: string, rv: string, name = uid): Pod => ({ metadata: { uid, name, namespace: "default", resourceVersion: rv }, spec: { nodeName: "n1" } });
const list = (rv: string, ...items: Pod[]) => ({ kind: "PodList", metadata: { resourceVersion: rv }, items });
const refused = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

/** One scripted answer to a watch: events, then the end of the stream or an error. */
interface WatchScript {
  events?: WatchEvent[];
  error?: unknown;
  /** Time the watch takes, on the test's clock (default: none, it ends at once). */
  takesMs?: number;
}

/**
 * An API server in memory: lists and watches are answered from queues; a watch with nothing
 * queued stays open until the informer stops it.
 */
class FakePodApi {
  readonly lists: Query[] = [];
  readonly watches: Query[] = [];
  readonly listAnswers: (() => unknown)[] = [];
  readonly watchScripts: WatchScript[] = [];
  constructor(readonly clock = new ManualClock()) {}

  async get(_path: string, query?: Query): Promise<any> {
    this.lists.push(query ?? {});
    const next = this.listAnswers.shift();
    if (!next) throw refused();
    return next();
  }

  async watch(_path: string, query: Query, onEvent: (e: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    this.watches.push(query);
    const script = this.watchScripts.shift();
    if (!script) {
      await new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener("abort", () => resolve())));
      return;
    }
    for (const ev of script.events ?? []) onEvent(ev);
    this.clock.advance(script.takesMs ?? 0);
    if (script.error) throw script.error;
  }
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      onUpsert: (p: Pod) => void log.push(`upsert ${p.metadata.uid}@${p.metadata.resourceVersion}`),
      onDelete: (p: Pod) => void log.push(`delete ${p.metadata.uid}`),
      onSynced: () => void log.push("synced"),
    },
  };
}

function informerWith(api: FakePodApi, handlers: ReturnType<typeof recorder>["handlers"], extra: { random?: () => number; onError?: (e: unknown) => void } = {}) {
  const sleeps: number[] = [];
  const informer = new PodInformer({
    client: api,
    nodeName: "n1",
    handlers,
    timeoutSeconds: 300,
    clock: api.clock,
    random: extra.random ?? (() => 0),
    sleep: async (ms) => void sleeps.push(ms),
    onError: extra.onError,
  });
  return { informer, sleeps };
}

describe("PodInformer", () => {
  it("lists the node's pods, then watches from the list's version and resumes from the last version seen", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10", pod("a", "5"), pod("b", "7")));
    api.watchScripts.push({
      events: [
        { type: "MODIFIED", object: pod("a", "11") },
        { type: "ADDED", object: pod("c", "12") },
        { type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: "15" } } },
      ],
      takesMs: 300_000,
    });
    const { log, handlers } = recorder();
    const { informer, sleeps } = informerWith(api, handlers);
    expect(informer.synced).toBe(false);
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(2));
    await informer.stop();

    expect(api.lists).toEqual([{ fieldSelector: "spec.nodeName=n1" }]);
    expect(api.watches[0]).toEqual({ fieldSelector: "spec.nodeName=n1", resourceVersion: "10", allowWatchBookmarks: true, timeoutSeconds: 300 });
    expect(api.watches[1].resourceVersion).toBe("15");
    expect(log).toEqual(["upsert a@5", "upsert b@7", "synced", "upsert a@11", "upsert c@12"]);
    expect(informer.synced).toBe(true);
    expect(informer.list().map((p) => p.metadata.uid).sort()).toEqual(["a", "b", "c"]);
    expect(informer.get("a")?.metadata.resourceVersion).toBe("11");
    // A watch that ran its course is followed by the next one at once.
    expect(sleeps).toEqual([]);
  });

  it("removes a pod on a DELETED event and tells the handler", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10", pod("a", "5"), pod("b", "7")));
    api.watchScripts.push({ events: [{ type: "DELETED", object: pod("b", "13") }], takesMs: 1 });
    const { log, handlers } = recorder();
    const { informer } = informerWith(api, handlers);
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(2));
    await informer.stop();
    expect(log.slice(3)).toEqual(["delete b"]);
    expect(informer.get("b")).toBeUndefined();
    expect(api.watches[1].resourceVersion).toBe("13");
  });

  it("relists on 410 Expired: deletes for pods that vanished, upserts only for changed or new ones", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10", pod("a", "5"), pod("b", "7"), pod("c", "8")));
    api.listAnswers.push(() => list("40", pod("a", "5"), pod("b", "33"), pod("d", "35")));
    api.watchScripts.push({ error: new ApiError(410, "Expired", "too old resource version: 10 (30)") });
    const { log, handlers } = recorder();
    const { informer, sleeps } = informerWith(api, handlers);
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(2));
    await informer.stop();

    expect(api.lists).toHaveLength(2);
    expect(log).toEqual(["upsert a@5", "upsert b@7", "upsert c@8", "synced", "delete c", "upsert b@33", "upsert d@35", "synced"]);
    expect(informer.list().map((p) => p.metadata.uid).sort()).toEqual(["a", "b", "d"]);
    expect(api.watches[1].resourceVersion).toBe("40");
    expect(sleeps).toEqual([]);
  });

  it("backs off exponentially up to 30 s while the server is away, then syncs and starts over at 1 s", async () => {
    const api = new FakePodApi();
    const answers: (() => unknown)[] = Array.from({ length: 7 }, () => () => {
      throw refused();
    });
    api.listAnswers.push(...answers, () => list("10", pod("a", "5")));
    api.watchScripts.push({ error: refused() });
    const { log, handlers } = recorder();
    const errors: unknown[] = [];
    const { informer, sleeps } = informerWith(api, handlers, { onError: (e) => errors.push(e) });
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(2));
    await informer.stop();

    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 1000]);
    expect(errors).toHaveLength(8);
    expect(log).toEqual(["upsert a@5", "synced"]);
    // After the failed watch the informer resumes from the version it had, without a relist.
    expect(api.lists).toHaveLength(8);
    expect(api.watches[1].resourceVersion).toBe("10");
  });

  it("adds jitter below the exponential delay", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(
      () => {
        throw refused();
      },
      () => {
        throw refused();
      },
      () => list("1"),
    );
    const { handlers } = recorder();
    const { informer, sleeps } = informerWith(api, handlers, { random: () => 0.5 });
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(1));
    await informer.stop();
    expect(sleeps).toEqual([900, 1800]);
  });

  it("keeps its cache while watches fail and catches up from the same version when the server returns", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10", pod("a", "5"), pod("b", "7")));
    api.watchScripts.push({ error: refused() }, { error: new ApiError(503, "ServiceUnavailable", "down") }, { events: [{ type: "MODIFIED", object: pod("a", "20") }], takesMs: 5 });
    const { log, handlers } = recorder();
    const { informer, sleeps } = informerWith(api, handlers);
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(4));
    await informer.stop();
    expect(api.lists).toHaveLength(1);
    expect(api.watches.slice(0, 3).map((w) => w.resourceVersion)).toEqual(["10", "10", "10"]);
    expect(api.watches[3].resourceVersion).toBe("20");
    expect(sleeps).toEqual([1000, 2000]);
    expect(log).toEqual(["upsert a@5", "upsert b@7", "synced", "upsert a@20"]);
  });

  it("pauses before watching again when the server ends a watch at once without an event", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10"));
    api.watchScripts.push({}, {}, { takesMs: 200_000 });
    const { handlers } = recorder();
    const { informer, sleeps } = informerWith(api, handlers);
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(4));
    await informer.stop();
    // Two quiet early endings back off; the third ran past half its timeout and is fine.
    expect(sleeps).toEqual([1000, 2000]);
  });

  it("survives a handler that throws and reports it", async () => {
    const api = new FakePodApi();
    api.listAnswers.push(() => list("10", pod("a", "5")));
    api.watchScripts.push({ events: [{ type: "ADDED", object: pod("b", "11") }], takesMs: 1 });
    const errors: unknown[] = [];
    const seen: string[] = [];
    const informer = new PodInformer({
      client: api,
      nodeName: "n1",
      clock: api.clock,
      sleep: async () => undefined,
      onError: (e) => errors.push(e),
      handlers: {
        onUpsert: (p) => {
          seen.push(p.metadata.uid);
          throw new Error(`boom ${p.metadata.uid}`);
        },
        onDelete: () => undefined,
      },
    });
    informer.start();
    await vi.waitFor(() => expect(api.watches).toHaveLength(2));
    await informer.stop();
    expect(seen).toEqual(["a", "b"]);
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom a", "boom b"]);
    expect(informer.list()).toHaveLength(2);
  });

  it("stops promptly in the middle of a back-off, with no rejection left behind", async () => {
    const api = new FakePodApi();
    const informer = new PodInformer({ client: api, nodeName: "n1", handlers: recorder().handlers, sleep: () => new Promise(() => undefined) });
    informer.start();
    await vi.waitFor(() => expect(api.lists).toHaveLength(1));
    await informer.stop();
    expect(informer.synced).toBe(false);
    expect(api.watches).toHaveLength(0);
  });
});
