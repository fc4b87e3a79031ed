import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClusterStore } from "../../src/store/cluster-store";
import { json } from "./helpers";

const NS = "/api/v1/namespaces/default";
const SLICES = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
const MERGE = "application/merge-patch+json";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}

let ipCounter = 0;

interface PodOptions {
  labels?: Record<string, string>;
  ports?: { name: string; containerPort: number }[];
  hostname?: string;
  subdomain?: string;
}

/** A pod bound to node-a, then reported Running with an address (and Ready or not) through pods/status. */
async function runningPod(name: string, ready: boolean, opts: PodOptions = {}): Promise<{ ip: string; uid: string }> {
  const spec: Record<string, unknown> = { nodeName: "node-a", containers: [{ name: "main", image: "busybox:local", ports: opts.ports ?? [] }] };
  if (opts.hostname) spec.hostname = opts.hostname;
  if (opts.subdomain) spec.subdomain = opts.subdomain;
  const created = await json(`${NS}/pods`, { body: { apiVersion: "v1", kind: "Pod", metadata: { name, labels: opts.labels ?? { app: "web" } }, spec } });
  expect(created.status).toBe(201);
  const n = ++ipCounter;
  const ip = `10.244.${n >> 8}.${n & 255}`;
  await setReady(name, ready, ip);
  return { ip, uid: created.body.metadata.uid };
}

async function setReady(name: string, ready: boolean, ip?: string): Promise<void> {
  const status: Record<string, unknown> = { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
  if (ip) Object.assign(status, { podIP: ip, podIPs: [{ ip }] });
  const r = await json(`${NS}/pods/${name}/status`, { method: "PATCH", body: { status }, contentType: MERGE });
  expect(r.status).toBe(200);
}

async function createService(name: string, spec: Record<string, unknown>, labels?: Record<string, string>) {
  const r = await json(`${NS}/services`, { body: { apiVersion: "v1", kind: "Service", metadata: { name, ...(labels ? { labels } : {}) }, spec } });
  expect(r.status).toBe(201);
  return r.body;
}

async function slicesOf(svc: string): Promise<any[]> {
  const r = await json(`${SLICES}?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`);
  return r.body.items;
}

const addressesOf = (slices: any[]) => slices.flatMap((s) => (s.endpoints ?? []).map((e: any) => e.addresses[0])).sort();
const endpointOf = (slices: any[], ip: string) => slices.flatMap((s) => s.endpoints ?? []).find((e: any) => e.addresses[0] === ip);

async function endpoints(name: string): Promise<any> {
  return (await json(`${NS}/endpoints/${name}`)).body;
}

describe("EndpointSlices and Endpoints of a service", () => {
  it("list the ready pods with upstream's shape, owned by the service", async () => {
    const svc = await createService("web", { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] }, { tier: "front" });
    const a = await runningPod("web-a", true);
    const b = await runningPod("web-b", true);
    await runningPod("other", true, { labels: { app: "other" } });
    const slices = await eventually(() => slicesOf("web"), (s) => addressesOf(s).length === 2);
    expect(slices).toHaveLength(1);
    const slice = slices[0];
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toEqual({ tier: "front", "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Service", name: "web", uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(addressesOf(slices)).toEqual([a.ip, b.ip].sort());
    expect(endpointOf(slices, a.ip)).toEqual({
      addresses: [a.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: "node-a",
      targetRef: { kind: "Pod", namespace: "default", name: "web-a", uid: a.uid },
    });
    const ep = await eventually(() => endpoints("web"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 2);
    expect(ep.metadata.labels).toEqual({ tier: "front" });
    expect(ep.subsets).toEqual([
      {
        addresses: [a, b]
          .sort((x, y) => (x.ip < y.ip ? -1 : 1))
          .map((p) => ({ ip: p.ip, nodeName: "node-a", targetRef: { kind: "Pod", namespace: "default", name: p === a ? "web-a" : "web-b", uid: p.uid } })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);
  });

  it("follow readiness: a pod that stops being ready is not ready in the slice and moves to notReadyAddresses", async () => {
    await createService("flip", { selector: { app: "flip" }, ports: [{ port: 80 }] });
    const p = await runningPod("flip-a", true, { labels: { app: "flip" } });
    await eventually(() => slicesOf("flip"), (s) => endpointOf(s, p.ip)?.conditions.ready === true);
    await setReady("flip-a", false);
    const slices = await eventually(() => slicesOf("flip"), (s) => endpointOf(s, p.ip)?.conditions.ready === false);
    expect(endpointOf(slices, p.ip).conditions).toEqual({ ready: false, serving: false, terminating: false });
    const ep = await eventually(() => endpoints("flip"), (e) => (e.subsets?.[0]?.notReadyAddresses ?? []).length === 1);
    expect(ep.subsets[0].addresses).toBeUndefined();
    expect(ep.subsets[0].notReadyAddresses.map((x: any) => x.ip)).toEqual([p.ip]);
    await setReady("flip-a", true);
    await eventually(() => slicesOf("flip"), (s) => endpointOf(s, p.ip)?.conditions.ready === true);
  });

  it("mark a terminating pod terminating and not ready, but still serving; Endpoints drops it", async () => {
    await createService("term", { selector: { app: "term" }, ports: [{ port: 80 }] });
    const keep = await runningPod("term-a", true, { labels: { app: "term" } });
    const going = await runningPod("term-b", true, { labels: { app: "term" } });
    await eventually(() => endpoints("term"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 2);
    const del = await json(`${NS}/pods/term-b`, { method: "DELETE" });
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    const slices = await eventually(() => slicesOf("term"), (s) => endpointOf(s, going.ip)?.conditions.terminating === true);
    expect(endpointOf(slices, going.ip).conditions).toEqual({ ready: false, serving: true, terminating: true });
    const ep = await eventually(() => endpoints("term"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 1);
    expect(ep.subsets[0].addresses.map((x: any) => x.ip)).toEqual([keep.ip]);
    // The kubelet's final delete: the endpoint goes.
    await json(`${NS}/pods/term-b`, { method: "DELETE", body: { gracePeriodSeconds: 0 } });
    const after = await eventually(() => slicesOf("term"), (s) => addressesOf(s).length === 1);
    expect(addressesOf(after)).toEqual([keep.ip]);
  });

  it("publish not-ready pods as ready with publishNotReadyAddresses", async () => {
    await createService("pub", { selector: { app: "pub" }, ports: [{ port: 80 }], publishNotReadyAddresses: true, clusterIP: "None" });
    const p = await runningPod("pub-a", false, { labels: { app: "pub" }, hostname: "pub-a", subdomain: "pub" });
    const slices = await eventually(() => slicesOf("pub"), (s) => endpointOf(s, p.ip) !== undefined);
    expect(endpointOf(slices, p.ip)).toMatchObject({ conditions: { ready: true, serving: true, terminating: false }, hostname: "pub-a" });
    expect(slices[0].metadata.labels["service.kubernetes.io/headless"]).toBe("");
    const ep = await eventually(() => endpoints("pub"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 1);
    expect(ep.subsets[0].addresses[0]).toMatchObject({ ip: p.ip, hostname: "pub-a" });
    expect(ep.metadata.labels).toEqual({ "service.kubernetes.io/headless": "" });
  });

  it("resolve a named target port per pod, putting pods with different ports in different slices", async () => {
    await createService("named", { selector: { app: "named" }, ports: [{ name: "web", port: 80, targetPort: "http" }] });
    const a = await runningPod("named-a", true, { labels: { app: "named" }, ports: [{ name: "http", containerPort: 8080 }] });
    const b = await runningPod("named-b", true, { labels: { app: "named" }, ports: [{ name: "http", containerPort: 9090 }] });
    const c = await runningPod("named-c", true, { labels: { app: "named" }, ports: [{ name: "http", containerPort: 8080 }] });
    const slices = await eventually(() => slicesOf("named"), (s) => addressesOf(s).length === 3);
    const byPort = Object.fromEntries(slices.map((s) => [s.ports[0].port, addressesOf([s])]));
    expect(byPort).toEqual({ 8080: [a.ip, c.ip].sort(), 9090: [b.ip] });
    expect(slices.every((s) => s.ports[0].name === "web")).toBe(true);
    const ep = await eventually(() => endpoints("named"), (e) => (e.subsets ?? []).length === 2);
    const subsetPorts = ep.subsets.map((s: any) => [s.ports[0].port, s.addresses.map((x: any) => x.ip)]);
    expect(subsetPorts).toContainEqual([9090, [b.ip]]);
    expect(subsetPorts).toContainEqual([8080, [a.ip, c.ip].sort()]);
  });

  it("keep one empty placeholder slice and an Endpoints without subsets for a service with no pods", async () => {
    await createService("lonely", { selector: { app: "nobody" }, ports: [{ port: 80 }] });
    const slices = await eventually(() => slicesOf("lonely"), (s) => s.length === 1);
    expect(slices[0].endpoints).toEqual([]);
    expect(slices[0].ports).toBeUndefined();
    const ep = await eventually(() => json(`${NS}/endpoints/lonely`), (r) => r.status === 200);
    expect(ep.body.subsets).toBeUndefined();
  });

  it("leave a service without a selector alone, and its user-made slices", async () => {
    await createService("manual", { ports: [{ port: 80 }] });
    const mine = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "manual-1", labels: { "kubernetes.io/service-name": "manual" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["192.168.1.10"] }],
      ports: [{ port: 80 }],
    };
    const created = await json(SLICES, { body: mine });
    expect(created.status).toBe(201);
    // A selecting service created afterwards shows the controllers ran past this point.
    await createService("marker", { selector: { app: "nobody" }, ports: [{ port: 80 }] });
    await eventually(() => slicesOf("marker"), (s) => s.length === 1);
    const slices = await slicesOf("manual");
    expect(slices.map((s) => s.metadata.name)).toEqual(["manual-1"]);
    expect(slices[0].metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
    expect((await json(`${NS}/endpoints/manual`)).status).toBe(404);
  });

  it("do not rewrite slices or Endpoints when nothing they show changed", async () => {
    await createService("calm", { selector: { app: "calm" }, ports: [{ port: 80 }] });
    const p = await runningPod("calm-a", true, { labels: { app: "calm" } });
    const [slice] = await eventually(() => slicesOf("calm"), (s) => endpointOf(s, p.ip) !== undefined);
    const ep = await eventually(() => endpoints("calm"), (e) => (e.subsets ?? []).length === 1);
    await json(`${NS}/pods/calm-a`, { method: "PATCH", body: { metadata: { annotations: { note: "x" } } }, contentType: MERGE });
    await json(`${NS}/services/calm`, { method: "PATCH", body: { metadata: { annotations: { note: "y" } } }, contentType: MERGE });
    // Another pod of the service proves the controllers have run since.
    const q = await runningPod("calm-b", true, { labels: { app: "calm" } });
    const slices = await eventually(() => slicesOf("calm"), (s) => endpointOf(s, q.ip) !== undefined);
    expect(slices).toHaveLength(1);
    expect(Number(slices[0].metadata.resourceVersion)).toBeGreaterThan(Number(slice.metadata.resourceVersion));
    const before = slices[0].metadata.resourceVersion;
    const epAfter = await eventually(() => endpoints("calm"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 2);
    expect(Number(epAfter.metadata.resourceVersion)).toBeGreaterThan(Number(ep.metadata.resourceVersion));
    await json(`${NS}/pods/calm-b`, { method: "PATCH", body: { metadata: { annotations: { note: "z" } } }, contentType: MERGE });
    await createService("calm-marker", { selector: { app: "nobody" }, ports: [{ port: 80 }] });
    await eventually(() => slicesOf("calm-marker"), (s) => s.length === 1);
    expect((await slicesOf("calm"))[0].metadata.resourceVersion).toBe(before);
    expect((await endpoints("calm")).metadata.resourceVersion).toBe(epAfter.metadata.resourceVersion);
  });

  it("split more than 100 endpoints over slices of at most 100", async () => {
    await createService("big", { selector: { app: "big" }, ports: [{ port: 80 }] });
    const ips: string[] = [];
    for (let i = 0; i < 130; i++) ips.push((await runningPod(`big-${i}`, true, { labels: { app: "big" } })).ip);
    const slices = await eventually(() => slicesOf("big"), (s) => addressesOf(s).length === 130, 30_000);
    expect(slices.map((s) => s.endpoints.length).sort((x, y) => x - y)).toEqual([30, 100]);
    expect(addressesOf(slices)).toEqual([...ips].sort());
    const ep = await eventually(() => endpoints("big"), (e) => (e.subsets?.[0]?.addresses ?? []).length === 130);
    expect(ep.subsets).toHaveLength(1);
  });

  it("go when the service goes", async () => {
    await createService("bye", { selector: { app: "bye" }, ports: [{ port: 80 }] });
    await runningPod("bye-a", true, { labels: { app: "bye" } });
    await eventually(() => slicesOf("bye"), (s) => addressesOf(s).length === 1);
    await eventually(() => json(`${NS}/endpoints/bye`), (r) => r.status === 200);
    expect((await json(`${NS}/services/bye`, { method: "DELETE" })).status).toBe(200);
    expect(await eventually(() => slicesOf("bye"), (s) => s.length === 0)).toEqual([]);
    expect((await eventually(() => json(`${NS}/endpoints/bye`), (r) => r.status === 404)).status).toBe(404);
  });

  it("go with their namespace, leaving no reconcile failing behind", async () => {
    const ns = "/api/v1/namespaces/svc-ns";
    await json("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "svc-ns" } } });
    await json(`${ns}/services`, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { selector: { app: "s" }, ports: [{ port: 80 }] } } });
    await json(`${ns}/pods`, { body: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: { app: "s" } }, spec: { nodeName: "node-a", containers: [{ name: "c", image: "busybox:local" }] } } });
    const status = { phase: "Running", podIP: "10.244.9.9", podIPs: [{ ip: "10.244.9.9" }], conditions: [{ type: "Ready", status: "True" }] };
    await json(`${ns}/pods/p/status`, { method: "PATCH", body: { status }, contentType: MERGE });
    await eventually(() => json(`${ns}/endpoints/s`), (r) => (r.body.subsets ?? []).length === 1);
    await json(ns, { method: "DELETE" });
    // The kubelet's part: the graceful pod deletion finishes.
    await eventually(async () => (await json(`${ns}/pods/p`)).body.metadata?.deletionTimestamp, (t) => Boolean(t));
    await json(`${ns}/pods/p`, { method: "DELETE", body: { gracePeriodSeconds: 0 } });
    expect((await eventually(() => json(ns), (r) => r.status === 404, 20_000)).status).toBe(404);
    const stuck = () =>
      runInDurableObject(env.CLUSTER.get(env.CLUSTER.idFromName("default")) as DurableObjectStub<ClusterStore> as DurableObjectStub, (_i: unknown, state: DurableObjectState) =>
        state.storage.sql.exec(`SELECT controller, key FROM queue WHERE controller IN ('endpoints', 'endpointslice') AND key LIKE 'svc-ns/%'`).toArray(),
      );
    expect(await eventually(stuck, (rows) => rows.length === 0)).toEqual([]);
  });
});
