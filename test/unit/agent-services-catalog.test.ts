import { describe, expect, it } from "vitest";
import { ApiError } from "../../agent/api/api-error";
import type { Query, WatchEvent } from "../../agent/api/client";
import { ENDPOINT_SLICES_PATH, NODES_PATH, SERVICES_PATH, staticCatalog, startServiceCatalog } from "../../agent/services/catalog";

type Obj = Record<string, any>;

/** One watch's scripted answer: events, then the end of the stream or an error; none queued keeps it open. */
interface WatchScript {
  events?: WatchEvent[];
  error?: unknown;
}

/** An API server in memory with a queue of list answers and watch scripts per collection. */
class FakeApi {
  readonly lists: string[] = [];
  readonly watches: { path: string; query: Query }[] = [];
  readonly listAnswers = new Map<string, (() => unknown)[]>();
  readonly watchScripts = new Map<string, WatchScript[]>();
  private readonly waiting = new Map<string, () => void>();

  answerList(path: string, answer: () => unknown): void {
    this.listAnswers.set(path, [...(this.listAnswers.get(path) ?? []), answer]);
  }

  script(path: string, s: WatchScript): void {
    this.watchScripts.set(path, [...(this.watchScripts.get(path) ?? []), s]);
    // a watch waiting on this path ends so the informer comes back for the script
    this.waiting.get(path)?.();
  }

  async get(path: string): Promise<any> {
    this.lists.push(path);
    const next = this.listAnswers.get(path)?.shift();
    if (!next) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    return next();
  }

  async watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    this.watches.push({ path, query });
    const script = this.watchScripts.get(path)?.shift();
    if (!script) {
      await new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        signal?.addEventListener("abort", () => resolve());
        this.waiting.set(path, () => {
          this.waiting.delete(path);
          resolve();
        });
      });
      // ended early without events: the informer backs off (instantly in these tests) and watches again
      return;
    }
    for (const ev of script.events ?? []) onEvent(ev);
    if (script.error) throw script.error;
  }
}

const svc = (name: string, rv: string, clusterIP = "10.96.0.10"): Obj => ({
  metadata: { namespace: "default", name, resourceVersion: rv },
  spec: { type: "ClusterIP", clusterIP, clusterIPs: [clusterIP], ports: [{ name: "http", port: 80, targetPort: 8080 }] },
});
const slice = (name: string, service: string, rv: string, ips: string[]): Obj => ({
  metadata: { namespace: "default", name, resourceVersion: rv, labels: { "kubernetes.io/service-name": service } },
  addressType: "IPv4",
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: "n1" })),
});
const node = (name: string, rv: string, ready = true): Obj => ({
  metadata: { name, resourceVersion: rv },
  spec: { podCIDR: "10.244.1.0/24" },
  status: { addresses: [{ type: "InternalIP", address: "192.0.2.2" }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});
/** Back-off that takes no time but lets timers run (a failing loop must not starve the test). */
const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const list = (rv: string, ...items: Obj[]) => ({ metadata: { resourceVersion: rv }, items });

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function seeded(): FakeApi {
  const api = new FakeApi();
  api.answerList(SERVICES_PATH, () => list("10", svc("web", "5"), svc("db", "6", "10.96.0.11")));
  api.answerList(ENDPOINT_SLICES_PATH, () => list("10", slice("web-a", "web", "7", ["10.244.1.2"]), slice("web-b", "web", "8", ["10.244.1.3"])));
  api.answerList(NODES_PATH, () => list("10", node("n1", "9")));
  return api;
}

describe("the live service catalog", () => {
  it("lists services, slices and nodes, merges a service's slices, and counts as synced", async () => {
    const api = seeded();
    const catalog = startServiceCatalog({ client: api, sleep: tick, random: () => 0 });
    expect(catalog.synced).toBe(false);
    await until(() => catalog.synced && !!catalog.nodesSynced, "sync");
    expect(catalog.services().map((s) => s.name).sort()).toEqual(["db", "web"]);
    expect(catalog.service("default", "web")).toMatchObject({ clusterIPs: ["10.96.0.10"], ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] });
    expect(catalog.endpoints("default", "web").map((e) => e.addresses[0])).toEqual(["10.244.1.2", "10.244.1.3"]);
    expect(catalog.endpoints("default", "db")).toEqual([]);
    expect(catalog.nodes()).toEqual([{ name: "n1", podCIDR: "10.244.1.0/24", internalIP: "192.0.2.2", ready: true }]);
    expect(api.watches.map((w) => [w.path, w.query.resourceVersion])).toEqual(
      expect.arrayContaining([
        [SERVICES_PATH, "10"],
        [ENDPOINT_SLICES_PATH, "10"],
        [NODES_PATH, "10"],
      ]),
    );
    await catalog.stop();
  });

  it("follows watch events and tells listeners once per burst", async () => {
    const api = seeded();
    const catalog = startServiceCatalog({ client: api, sleep: tick, random: () => 0 });
    await until(() => catalog.synced, "sync");
    await new Promise((r) => setTimeout(r, 10));
    let calls = 0;
    catalog.onChange(() => calls++);
    api.script(ENDPOINT_SLICES_PATH, {
      events: [
        { type: "MODIFIED", object: slice("web-a", "web", "11", ["10.244.1.2", "10.244.1.4"]) },
        { type: "DELETED", object: slice("web-b", "web", "12", ["10.244.1.3"]) },
        { type: "ADDED", object: slice("db-a", "db", "13", ["10.244.1.9"]) },
      ],
    });
    await until(() => catalog.endpoints("default", "db").length === 1, "db endpoints");
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toBe(1);
    expect(catalog.endpoints("default", "web").map((e) => e.addresses[0])).toEqual(["10.244.1.2", "10.244.1.4"]);
    api.script(SERVICES_PATH, { events: [{ type: "DELETED", object: svc("db", "14", "10.96.0.11") }] });
    await until(() => catalog.service("default", "db") === undefined, "db gone");
    expect(calls).toBe(2);
    // a slice moving to another service leaves the first one
    api.script(ENDPOINT_SLICES_PATH, { events: [{ type: "MODIFIED", object: slice("web-a", "db", "15", ["10.244.1.2"]) }] });
    await until(() => catalog.endpoints("default", "web").length === 0, "web-a moved");
    // slices in name order: db-a, then web-a
    expect(catalog.endpoints("default", "db").map((e) => e.addresses[0])).toEqual(["10.244.1.9", "10.244.1.2"]);
    await catalog.stop();
  });

  it("relists after 410 Expired and turns the difference into changes", async () => {
    const api = seeded();
    const catalog = startServiceCatalog({ client: api, sleep: tick, random: () => 0 });
    await until(() => catalog.synced, "sync");
    api.answerList(SERVICES_PATH, () => list("30", svc("web", "5"), svc("new", "29", "10.96.0.12")));
    api.script(SERVICES_PATH, { error: new ApiError(410, "Expired", "too old resource version") });
    await until(() => !!catalog.service("default", "new"), "relist");
    expect(catalog.service("default", "db")).toBeUndefined();
    expect(api.lists.filter((p) => p === SERVICES_PATH)).toHaveLength(2);
    expect(api.watches.filter((w) => w.path === SERVICES_PATH).at(-1)?.query.resourceVersion).toBe("30");
    await catalog.stop();
  });

  it("keeps serving services and endpoints when nodes are forbidden, reporting the 403", async () => {
    const api = new FakeApi();
    api.answerList(SERVICES_PATH, () => list("10", svc("web", "5")));
    api.answerList(ENDPOINT_SLICES_PATH, () => list("10", slice("web-a", "web", "7", ["10.244.1.2"])));
    const forbidden = new ApiError(403, "Forbidden", 'nodes is forbidden: User "system:node:n1" cannot list resource "nodes"');
    for (let i = 0; i < 3; i++) api.answerList(NODES_PATH, () => Promise.reject(forbidden));
    const errors: unknown[] = [];
    const sleeps: number[] = [];
    const catalog = startServiceCatalog({ client: api, sleep: (ms) => (sleeps.push(ms), tick()), random: () => 0, onError: (e) => errors.push(e) });
    await until(() => catalog.synced && errors.length >= 2, "sync and errors");
    expect(catalog.nodesSynced).toBe(false);
    expect(catalog.nodes()).toEqual([]);
    expect(catalog.endpoints("default", "web")).toHaveLength(1);
    expect(errors[0]).toBe(forbidden);
    expect(sleeps.slice(0, 2)).toEqual([1000, 2000]);
    await catalog.stop();
  });
});

describe("the static catalog", () => {
  it("answers from what it was given and notifies once per burst of set calls", async () => {
    const catalog = staticCatalog([], {}, []);
    expect(catalog.synced).toBe(true);
    let calls = 0;
    const off = catalog.onChange(() => calls++);
    catalog.set({ nodes: [{ name: "n1", ready: true }] });
    catalog.set({ endpoints: { "default/web": [{ addresses: ["10.244.1.2"], ready: true, serving: true, terminating: false, ports: [] }] } });
    await Promise.resolve();
    expect(calls).toBe(1);
    expect(catalog.endpoints("default", "web")).toHaveLength(1);
    expect(catalog.nodes()).toEqual([{ name: "n1", ready: true }]);
    off();
    catalog.set({ nodes: [] });
    await Promise.resolve();
    expect(calls).toBe(1);
  });
});
