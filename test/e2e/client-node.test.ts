import { CoreV1Api, KubeConfig, makeInformer, Watch, type Informer, type ObjectCache, type V1ConfigMap } from "@kubernetes/client-node";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFlotilla, type Started } from "./harness";

/** The official JavaScript client against `npm start`: typed calls, a list-then-watch informer, a raw watch. */

const NS = "informed";

let server: Started;
let kc: KubeConfig;
let core: CoreV1Api;
let informer: (Informer<V1ConfigMap> & ObjectCache<V1ConfigMap>) | undefined;

beforeAll(async () => {
  server = await startFlotilla();
  kc = new KubeConfig();
  kc.loadFromFile(server.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "before" }, data: { k: "0" } } });
});

afterAll(async () => {
  await informer?.stop();
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
});

/** Resolves once `pred` holds, polling; fails with `what` after `ms`. */
async function until<T>(what: string, pred: () => T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Seen {
  verb: "add" | "update" | "delete";
  name: string;
  data?: Record<string, string>;
  resourceVersion?: string;
}

describe("@kubernetes/client-node", () => {
  it("talks HTTPS with the written kubeconfig", async () => {
    expect(kc.getCurrentCluster()?.server).toBe(`https://127.0.0.1:${server.port}`);
    const ns = await core.readNamespace({ name: NS });
    expect(ns.metadata?.name).toBe(NS);
    expect(ns.status?.phase).toBe("Active");
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((c) => c.metadata?.name)).toContain("before");
  });

  it("runs an informer that syncs, then sees adds, updates and deletes", async () => {
    const seen: Seen[] = [];
    const errors: unknown[] = [];
    informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${NS}/configmaps`, () => core.listNamespacedConfigMap({ namespace: NS }));
    for (const verb of ["add", "update", "delete"] as const) {
      informer.on(verb, (obj) => seen.push({ verb, name: obj.metadata!.name!, data: obj.data, resourceVersion: obj.metadata?.resourceVersion }));
    }
    informer.on("error", (err) => errors.push(err));
    await informer.start();

    // The initial list arrives as an add, and the cache holds it.
    await until("the pre-existing configmap as an add", () => seen.find((s) => s.verb === "add" && s.name === "before"));
    expect(informer.get("before", NS)?.data).toEqual({ k: "0" });

    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "live" }, data: { k: "1" } } });
    const added = await until("add of live", () => seen.find((s) => s.verb === "add" && s.name === "live"));
    expect(added.data).toEqual({ k: "1" });
    expect(added.resourceVersion).toBe(created.metadata?.resourceVersion);

    const patched = await core.patchNamespacedConfigMap({ name: "live", namespace: NS, body: [{ op: "replace", path: "/data/k", value: "2" }] });
    expect(patched.data).toEqual({ k: "2" });
    const updated = await until("update of live", () => seen.find((s) => s.verb === "update" && s.name === "live"));
    expect(updated.data).toEqual({ k: "2" });
    expect(updated.resourceVersion).toBe(patched.metadata?.resourceVersion);
    expect(informer.get("live", NS)?.data).toEqual({ k: "2" });

    await core.deleteNamespacedConfigMap({ name: "live", namespace: NS });
    await until("delete of live", () => seen.find((s) => s.verb === "delete" && s.name === "live"));
    expect(informer.get("live", NS)).toBeUndefined();
    expect(informer.list(NS).map((c) => c.metadata?.name)).toEqual(["before"]);

    // Each change was delivered once, in order, and nothing went wrong on the stream.
    expect(seen.filter((s) => s.name === "live").map((s) => s.verb)).toEqual(["add", "update", "delete"]);
    expect(errors).toEqual([]);
  });

  it("delivers an ADDED event to a plain watch", async () => {
    const start = await core.listNamespacedConfigMap({ namespace: NS });
    const events: { type: string; name?: string }[] = [];
    let ended: unknown = "open";
    const watch = new Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: start.metadata!.resourceVersion!, allowWatchBookmarks: true },
      (type, obj) => events.push({ type, name: obj?.metadata?.name }),
      (err) => (ended = err),
    );
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: "watched" }, data: { k: "w" } } });
      const ev = await until("ADDED watched", () => events.find((e) => e.type === "ADDED" && e.name === "watched"));
      expect(ev).toEqual({ type: "ADDED", name: "watched" });
      // Watching from the list's resourceVersion does not replay objects that already existed.
      expect(events.filter((e) => e.type === "ADDED").map((e) => e.name)).toEqual(["watched"]);
      expect(ended).toBe("open");
    } finally {
      controller.abort();
    }
  });
});
