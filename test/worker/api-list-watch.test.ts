import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, configMap, json, readEvents } from "./helpers";

const CM = "/api/v1/namespaces/default/configmaps";

function store() {
  return env.CLUSTER.get(env.CLUSTER.idFromName("default"));
}

describe("lists", () => {
  it("filters with label selectors of every operator", async () => {
    await json("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "sel" } } });
    const base = "/api/v1/namespaces/sel/configmaps";
    await json(base, { body: configMap("a", "sel", {}, { tier: "web", env: "prod" }) });
    await json(base, { body: configMap("b", "sel", {}, { tier: "db", env: "prod" }) });
    await json(base, { body: configMap("c", "sel", {}, { tier: "web" }) });
    const names = async (sel: string) => (await json(`${base}?labelSelector=${encodeURIComponent(sel)}`)).body.items.map((i: any) => i.metadata.name);
    expect(await names("tier=web")).toEqual(["a", "c"]);
    expect(await names("tier!=web")).toEqual(["b"]);
    expect(await names("tier in (web,db),env")).toEqual(["a", "b"]);
    expect(await names("!env")).toEqual(["c"]);
    expect(await names("env notin (prod)")).toEqual(["c"]);
    const bad = await json(`${base}?labelSelector=${encodeURIComponent("a in (")}`);
    expect(bad.status).toBe(400);
  });

  it("filters with field selectors and refuses unsupported fields", async () => {
    const r = await json(`/api/v1/namespaces?fieldSelector=metadata.name=kube-system`);
    expect(r.body.items.map((i: any) => i.metadata.name)).toEqual(["kube-system"]);
    const bad = await json(`${CM}?fieldSelector=spec.nothing=1`);
    expect(bad.status).toBe(400);
  });

  it("pages with limit and continue", async () => {
    await json("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "page" } } });
    for (let i = 0; i < 7; i++) await json("/api/v1/namespaces/page/configmaps", { body: configMap(`p${i}`, "page") });
    const seen: string[] = [];
    let cont = "";
    let pages = 0;
    do {
      const r = await json(`/api/v1/namespaces/page/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      seen.push(...r.body.items.map((i: any) => i.metadata.name));
      cont = r.body.metadata.continue ?? "";
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(seen).toEqual(["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
  });

  it("lists across all namespaces", async () => {
    const r = await json("/api/v1/configmaps");
    const nss = new Set(r.body.items.map((i: any) => i.metadata.namespace));
    expect(nss.has("sel") && nss.has("page")).toBe(true);
    expect(r.body.kind).toBe("ConfigMapList");
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it("renders Tables when asked", async () => {
    const r = await json("/api/v1/namespaces", { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    expect(r.body.kind).toBe("Table");
    expect(r.body.columnDefinitions[0]).toMatchObject({ name: "Name", format: "name" });
    expect(r.body.rows[0].object.kind).toBe("PartialObjectMetadata");
  });
});

describe("watch", () => {
  it("delivers changes after a resourceVersion, without replaying older ones", async () => {
    const start = (await json(CM)).body.metadata.resourceVersion;
    const res = await api(`${CM}?watch=true&resourceVersion=${start}`);
    expect(res.status).toBe(200);
    await json(CM, { body: configMap("w1") });
    await json(`${CM}/w1`, { method: "PATCH", body: { data: { a: "9" } }, contentType: "application/merge-patch+json" });
    await json(`${CM}/w1`, { method: "DELETE" });
    const events = await readEvents(res, 3);
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:w1", "MODIFIED:w1", "DELETED:w1"]);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs[0]).toBeLessThan(rvs[1]);
    expect(rvs[1]).toBeLessThan(rvs[2]);
  });

  it("resumes from a past resourceVersion with no missed or duplicated event", async () => {
    const rv0 = (await json(CM)).body.metadata.resourceVersion;
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await json(CM, { body: configMap(`r${i}`) })).body.metadata.resourceVersion);
    const res = await api(`${CM}?watch=true&resourceVersion=${created[1]}`);
    const events = await readEvents(res, 3);
    expect(events.map((e) => e.object.metadata.name)).toEqual(["r2", "r3", "r4"]);
    const all = await readEvents(await api(`${CM}?watch=true&resourceVersion=${rv0}`), 5);
    expect(all.map((e) => e.object.metadata.name)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
  });

  it("starts with synthetic ADDED events for resourceVersion 0 and ends the initial events with a bookmark", async () => {
    const res = await api(`/api/v1/namespaces?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    const events = await readEvents(res, 20, 1500);
    const added = events.filter((e) => e.type === "ADDED").map((e) => e.object.metadata.name);
    expect(added).toContain("default");
    const last = events.at(-1);
    expect(last.type).toBe("BOOKMARK");
    expect(last.object.metadata.annotations["k8s.io/initial-events-end"]).toBe("true");
  });

  it("watches one object by name with resourceVersion 0", async () => {
    await json(CM, { body: configMap("single") });
    const res = await api(`${CM}?watch=true&fieldSelector=metadata.name%3Dsingle&resourceVersion=0`);
    await json(CM, { body: configMap("other") });
    await json(`${CM}/single`, { method: "PATCH", body: { data: { z: "1" } }, contentType: "application/merge-patch+json" });
    const events = await readEvents(res, 2);
    expect(events.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(["ADDED:single", "MODIFIED:single"]);
  });

  it("turns selector transitions into ADDED and DELETED", async () => {
    const rv = (await json(CM)).body.metadata.resourceVersion;
    const res = await api(`${CM}?watch=true&resourceVersion=${rv}&labelSelector=color%3Dblue`);
    await json(CM, { body: configMap("chameleon", "default", {}, { color: "red" }) });
    await json(`${CM}/chameleon`, { method: "PATCH", body: { metadata: { labels: { color: "blue" } } }, contentType: "application/merge-patch+json" });
    await json(`${CM}/chameleon`, { method: "PATCH", body: { metadata: { labels: { color: "green" } } }, contentType: "application/merge-patch+json" });
    const events = await readEvents(res, 2);
    expect(events.map((e) => e.type)).toEqual(["ADDED", "DELETED"]);
  });

  it("streams Table rows, headers only on the first event", async () => {
    const rv = (await json(CM)).body.metadata.resourceVersion;
    const res = await api(`${CM}?watch=true&resourceVersion=${rv}`, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" });
    await json(CM, { body: configMap("t1") });
    await json(CM, { body: configMap("t2") });
    const events = await readEvents(res, 2);
    expect(events[0].object.kind).toBe("Table");
    expect(events[0].object.columnDefinitions.length).toBeGreaterThan(0);
    expect(events[1].object.columnDefinitions ?? []).toEqual([]);
    expect(events[1].object.rows[0].cells[0]).toBe("t2");
  });

  it("answers 410 Expired for a compacted resourceVersion and bounds history under churn", async () => {
    const first = (await json(CM, { body: configMap("churn") })).body;
    for (let i = 0; i < 60; i++) {
      await json(`${CM}/churn`, { method: "PATCH", body: { data: { n: String(i) } }, contentType: "application/merge-patch+json" });
    }
    const before = await store().stats();
    await store().compact({ maxRevisions: 10, maxAgeMs: 3_600_000 });
    const after = await store().stats();
    expect(after.compactRevision).toBe(after.revision - 10);
    expect(after.rows).toBeLessThan(before.rows);
    const res = await api(`${CM}?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
    const events = await readEvents(res, 1);
    expect(events[0].type).toBe("ERROR");
    expect(events[0].object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    // Steady churn: more updates, compacting as we go, keep the log the same size.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) await json(`${CM}/churn`, { method: "PATCH", body: { data: { n: `x${round}-${i}` } }, contentType: "application/merge-patch+json" });
      await store().compact({ maxRevisions: 10, maxAgeMs: 3_600_000 });
      const s = await store().stats();
      expect(s.rows).toBeLessThanOrEqual(after.rows + 1);
    }
  });
});

describe("representations", () => {
  it("answers in YAML when asked", async () => {
    const res = await api("/api/v1/namespaces/default", { accept: "application/yaml" });
    expect(res.headers.get("content-type")).toBe("application/yaml");
    const text = await res.text();
    expect(text).toMatch(/^apiVersion: v1\nkind: Namespace\nmetadata:\n/);
  });
});
