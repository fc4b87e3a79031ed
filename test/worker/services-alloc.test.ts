import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClusterStore } from "../../src/store/cluster-store";
import { json } from "./helpers";

const SVC = "/api/v1/namespaces/default/services";

type Port = { port: number; name?: string; nodePort?: number; targetPort?: number | string; protocol?: string };

function service(name: string, spec: Record<string, unknown> = {}, ports: Port[] = [{ port: 80 }]) {
  return { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { selector: { app: name }, ports, ...spec } };
}

function store(): DurableObjectStub<ClusterStore> {
  return env.CLUSTER.get(env.CLUSTER.idFromName("default"));
}

/** The rows of the allocation table, as "kind value owner". */
async function allocations(): Promise<string[]> {
  return runInDurableObject(store() as DurableObjectStub, (_i: unknown, state: DurableObjectState) =>
    state.storage.sql
      .exec(`SELECT kind, value, owner FROM service_alloc ORDER BY kind, value`)
      .toArray()
      .map((r) => `${r.kind} ${r.value} ${r.owner}`),
  );
}

async function heldBy(owner: string): Promise<string[]> {
  return (await allocations()).filter((r) => r.endsWith(` ${owner}`));
}

function ipNumber(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

const causes = (body: any) => (body.details?.causes ?? []).map((c: any) => `${c.field}: ${c.message}`);

describe("cluster IP allocation", () => {
  it("records the kubernetes Service's first address", async () => {
    const k = await json(`${SVC}/kubernetes`);
    expect(k.body.spec.clusterIP).toBe("10.96.0.1");
    expect(await allocations()).toContain(`ip ${ipNumber("10.96.0.1")} default/kubernetes`);
  });

  it("gives a new service a free address of 10.96.0.0/12, mirrored in clusterIPs, and stores it", async () => {
    const r = await json(SVC, { body: service("alpha") });
    expect(r.status).toBe(201);
    const spec = r.body.spec;
    expect(spec.clusterIPs).toEqual([spec.clusterIP]);
    expect(spec.ipFamilies).toEqual(["IPv4"]);
    expect(spec.ipFamilyPolicy).toBe("SingleStack");
    const n = ipNumber(spec.clusterIP);
    // Above the static band at the bottom of the range, inside the range.
    expect(n).toBeGreaterThan(ipNumber("10.96.1.0"));
    expect(n).toBeLessThan(ipNumber("10.111.255.255"));
    expect(r.body.status).toEqual({ loadBalancer: {} });
    expect(await heldBy("default/alpha")).toEqual([`ip ${n} default/alpha`]);
    expect((await json(`${SVC}/alpha`)).body.spec.clusterIP).toBe(spec.clusterIP);
  });

  it("gives 50 concurrent creates 50 distinct addresses", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => json(SVC, { body: service(`many-${i}`) })));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ips = results.map((r) => r.body.spec.clusterIP);
    expect(new Set(ips).size).toBe(50);
    const rows = (await allocations()).filter((r) => r.includes(" default/many-"));
    expect(rows).toHaveLength(50);
  });

  it("takes a requested free address and refuses a taken one with upstream's cause, storing nothing", async () => {
    const ok = await json(SVC, { body: service("fixed", { clusterIP: "10.96.0.5" }) });
    expect(ok.status).toBe(201);
    expect(ok.body.spec.clusterIPs).toEqual(["10.96.0.5"]);
    const before = await allocations();
    const taken = await json(SVC, { body: service("fixed-2", { clusterIP: "10.96.0.5" }, [{ port: 80 }]) });
    expect(taken.status).toBe(422);
    expect(taken.body.reason).toBe("Invalid");
    expect(causes(taken.body)).toEqual(['spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated']);
    expect(taken.body.message).toBe('Service "fixed-2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated');
    expect((await json(`${SVC}/fixed-2`)).status).toBe(404);
    expect(await allocations()).toEqual(before);
  });

  it("refuses an address outside the range, and the range's network address", async () => {
    const out = await json(SVC, { body: service("outside", { clusterIP: "10.0.0.5" }) });
    expect(out.status).toBe(422);
    expect(causes(out.body)).toEqual([
      'spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    ]);
    const network = await json(SVC, { body: service("network", { clusterIP: "10.96.0.0" }) });
    expect(network.status).toBe(422);
    expect((await json(`${SVC}/outside`)).status).toBe(404);
  });

  it("allocates nothing for a headless service", async () => {
    const r = await json(SVC, { body: service("headless", { clusterIP: "None" }) });
    expect(r.status).toBe(201);
    expect(r.body.spec.clusterIP).toBe("None");
    expect(r.body.spec.clusterIPs).toEqual(["None"]);
    expect(await heldBy("default/headless")).toEqual([]);
  });

  it("lists both families on a selectorless headless service, as upstream", async () => {
    const r = await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "headless-bare" }, spec: { clusterIP: "None" } } });
    expect(r.status).toBe(201);
    expect(r.body.spec.ipFamilyPolicy).toBe("RequireDualStack");
    expect(r.body.spec.ipFamilies).toEqual(["IPv4", "IPv6"]);
  });

  it("refuses dual-stack and IPv6 requests on this IPv4 cluster", async () => {
    const dual = await json(SVC, { body: service("dual", { ipFamilyPolicy: "RequireDualStack" }) });
    expect(causes(dual.body)).toEqual(['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services']);
    const v6 = await json(SVC, { body: service("six", { ipFamilies: ["IPv6"] }) });
    expect(causes(v6.body)).toEqual(['spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster']);
  });

  it("allocates nothing for an ExternalName service", async () => {
    const r = await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "ext" }, spec: { type: "ExternalName", externalName: "db.example.com" } } });
    expect(r.status).toBe(201);
    expect(r.body.spec.clusterIP).toBeUndefined();
    expect(await heldBy("default/ext")).toEqual([]);
  });

  it("allocates nothing on a dry run, but shows the address it would take", async () => {
    const before = await allocations();
    const r = await json(`${SVC}?dryRun=All`, { body: service("dry", { type: "NodePort" }) });
    expect(r.status).toBe(201);
    expect(r.body.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    expect(r.body.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(await allocations()).toEqual(before);
    expect((await json(`${SVC}/dry`)).status).toBe(404);
  });

  it("keeps the address on an update that omits it, and refuses a change", async () => {
    const created = (await json(SVC, { body: service("keep") })).body;
    const ip = created.spec.clusterIP;
    const replaced = await json(`${SVC}/keep`, { method: "PUT", body: { ...service("keep", {}, [{ port: 81 }]), metadata: { name: "keep", resourceVersion: created.metadata.resourceVersion } } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.spec.clusterIP).toBe(ip);
    expect(replaced.body.spec.clusterIPs).toEqual([ip]);
    const changed = await json(`${SVC}/keep`, { method: "PATCH", body: { spec: { clusterIP: "10.96.0.77", clusterIPs: ["10.96.0.77"] } }, contentType: "application/merge-patch+json" });
    expect(changed.status).toBe(422);
    expect(causes(changed.body)).toEqual(['spec.clusterIPs[0]: Invalid value: "10.96.0.77": field is immutable']);
    expect(await heldBy("default/keep")).toEqual([`ip ${ipNumber(ip)} default/keep`]);
  });

  it("releases the address on delete, so it can be taken again", async () => {
    const r = await json(SVC, { body: service("reuse", { clusterIP: "10.96.0.9" }) });
    expect(r.status).toBe(201);
    expect((await json(`${SVC}/reuse`, { method: "DELETE" })).status).toBe(200);
    expect(await heldBy("default/reuse")).toEqual([]);
    const again = await json(SVC, { body: service("reuse-2", { clusterIP: "10.96.0.9" }) });
    expect(again.status).toBe(201);
  });

  it("keeps the address of a service held by a finalizer until it is really gone", async () => {
    const r = await json(SVC, { body: { ...service("held"), metadata: { name: "held", finalizers: ["example.com/hold"] } } });
    const ip = r.body.spec.clusterIP;
    const del = await json(`${SVC}/held`, { method: "DELETE" });
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect(await heldBy("default/held")).toEqual([`ip ${ipNumber(ip)} default/held`]);
    const patched = await json(`${SVC}/held`, { method: "PATCH", body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" });
    expect(patched.status).toBe(200);
    expect((await json(`${SVC}/held`)).status).toBe(404);
    expect(await heldBy("default/held")).toEqual([]);
  });
});

describe("node port allocation", () => {
  it("gives each port of a NodePort service a port in 30000-32767", async () => {
    const r = await json(SVC, { body: service("np", { type: "NodePort" }, [{ port: 80, name: "http" }, { port: 443, name: "https" }]) });
    expect(r.status).toBe(201);
    const ports = r.body.spec.ports.map((p: any) => p.nodePort);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30000), expect(p).toBeLessThanOrEqual(32767);
    expect(new Set(ports).size).toBe(2);
    const rows = await heldBy("default/np");
    expect(rows.filter((x) => x.startsWith("nodeport ")).sort()).toEqual(ports.map((p: number) => `nodeport ${p} default/np`).sort());
  });

  it("gives ports with one number on two protocols one node port", async () => {
    const r = await json(SVC, { body: service("dns", { type: "NodePort" }, [{ port: 53, name: "dns", protocol: "UDP" }, { port: 53, name: "dns-tcp", protocol: "TCP" }]) });
    expect(r.status).toBe(201);
    const [a, b] = r.body.spec.ports.map((p: any) => p.nodePort);
    expect(a).toBe(b);
  });

  it("takes a requested free port, refuses a taken one and one out of range, storing nothing", async () => {
    const ok = await json(SVC, { body: service("np-fixed", { type: "NodePort" }, [{ port: 80, nodePort: 30080 }]) });
    expect(ok.status).toBe(201);
    expect(ok.body.spec.ports[0].nodePort).toBe(30080);
    const before = await allocations();
    const taken = await json(SVC, { body: service("np-taken", { type: "NodePort" }, [{ port: 80, nodePort: 30080 }]) });
    expect(taken.status).toBe(422);
    expect(causes(taken.body)).toEqual(["spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"]);
    const out = await json(SVC, { body: service("np-out", { type: "NodePort" }, [{ port: 80, nodePort: 40000 }]) });
    expect(out.status).toBe(422);
    expect(causes(out.body)).toEqual(["spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767"]);
    expect(await allocations()).toEqual(before);
    expect((await json(`${SVC}/np-taken`)).status).toBe(404);
  });

  it("refuses a node port on a ClusterIP service", async () => {
    const r = await json(SVC, { body: service("np-cip", {}, [{ port: 80, nodePort: 30081 }]) });
    expect(r.status).toBe(422);
    expect(causes(r.body)).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  });

  it("allocates a LoadBalancer's ports unless told not to, and honours requests then", async () => {
    const lb = await json(SVC, { body: service("lb", { type: "LoadBalancer" }) });
    expect(lb.body.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    const none = await json(SVC, { body: service("lb-none", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false }, [{ port: 80, name: "a" }, { port: 81, name: "b", nodePort: 30181 }]) });
    expect(none.status).toBe(201);
    expect(none.body.spec.ports.map((p: any) => p.nodePort)).toEqual([undefined, 30181]);
    expect((await heldBy("default/lb-none")).filter((x) => x.startsWith("nodeport"))).toEqual(["nodeport 30181 default/lb-none"]);
  });

  it("gives a Local LoadBalancer a health check node port", async () => {
    const r = await json(SVC, { body: service("lb-local", { type: "LoadBalancer", externalTrafficPolicy: "Local" }) });
    expect(r.status).toBe(201);
    const hc = r.body.spec.healthCheckNodePort;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(r.body.spec.ports[0].nodePort);
    expect(await heldBy("default/lb-local")).toContain(`nodeport ${hc} default/lb-local`);
  });

  it("keeps node ports on a replace that omits them", async () => {
    const created = (await json(SVC, { body: service("np-keep", { type: "NodePort" }, [{ port: 80, name: "http" }]) })).body;
    const np = created.spec.ports[0].nodePort;
    const body = service("np-keep", { type: "NodePort" }, [{ port: 80, name: "http", targetPort: 8080 }]);
    const r = await json(`${SVC}/np-keep`, { method: "PUT", body });
    expect(r.status).toBe(200);
    expect(r.body.spec.ports[0]).toMatchObject({ nodePort: np, targetPort: 8080 });
    expect(await heldBy("default/np-keep")).toContain(`nodeport ${np} default/np-keep`);
  });

  it("allocates on ClusterIP → NodePort and releases on NodePort → ClusterIP", async () => {
    await json(SVC, { body: service("flip") });
    const up = await json(`${SVC}/flip`, { method: "PATCH", body: { spec: { type: "NodePort" } }, contentType: "application/merge-patch+json" });
    expect(up.status).toBe(200);
    const np = up.body.spec.ports[0].nodePort;
    expect(np).toBeGreaterThanOrEqual(30000);
    expect(up.body.spec.externalTrafficPolicy).toBe("Cluster");
    expect(await heldBy("default/flip")).toContain(`nodeport ${np} default/flip`);
    const down = await json(`${SVC}/flip`, { method: "PATCH", body: { spec: { type: "ClusterIP" } }, contentType: "application/merge-patch+json" });
    expect(down.status).toBe(200);
    expect(down.body.spec.ports[0].nodePort).toBeUndefined();
    expect(down.body.spec.externalTrafficPolicy).toBeUndefined();
    expect((await heldBy("default/flip")).filter((x) => x.startsWith("nodeport"))).toEqual([]);
    // The released port can be requested by another service now.
    expect((await json(SVC, { body: service("flip-2", { type: "NodePort" }, [{ port: 80, nodePort: np }]) })).status).toBe(201);
  });

  it("releases the cluster IP on a change to ExternalName and allocates one on the way back", async () => {
    const created = (await json(SVC, { body: service("to-ext") })).body;
    const ext = await json(`${SVC}/to-ext`, { method: "PATCH", body: { spec: { type: "ExternalName", externalName: "db.example.com" } }, contentType: "application/merge-patch+json" });
    expect(ext.status).toBe(200);
    expect(ext.body.spec.clusterIP).toBeUndefined();
    expect(await heldBy("default/to-ext")).toEqual([]);
    expect(created.spec.clusterIP).toBeTruthy();
    const back = await json(`${SVC}/to-ext`, { method: "PATCH", body: { spec: { type: "ClusterIP", externalName: null } }, contentType: "application/merge-patch+json" });
    expect(back.status).toBe(200);
    expect(back.body.spec.clusterIP).toMatch(/^10\./);
    expect(await heldBy("default/to-ext")).toEqual([`ip ${ipNumber(back.body.spec.clusterIP)} default/to-ext`]);
  });

  it("refuses an update asking for another service's node port, changing nothing", async () => {
    await json(SVC, { body: service("np-a", { type: "NodePort" }, [{ port: 80, nodePort: 30090 }]) });
    const b = (await json(SVC, { body: service("np-b", { type: "NodePort" }) })).body;
    const r = await json(`${SVC}/np-b`, { method: "PATCH", body: { spec: { ports: [{ port: 80, nodePort: 30090 }] } }, contentType: "application/strategic-merge-patch+json" });
    expect(r.status).toBe(422);
    expect(causes(r.body)).toEqual(["spec.ports[0].nodePort: Invalid value: 30090: provided port is already allocated"]);
    expect((await json(`${SVC}/np-b`)).body.spec.ports[0].nodePort).toBe(b.spec.ports[0].nodePort);
  });

  it("releases node ports on delete", async () => {
    await json(SVC, { body: service("np-gone", { type: "NodePort" }, [{ port: 80, nodePort: 30099 }]) });
    expect((await json(`${SVC}/np-gone`, { method: "DELETE" })).status).toBe(200);
    expect(await heldBy("default/np-gone")).toEqual([]);
    expect((await json(SVC, { body: service("np-gone-2", { type: "NodePort" }, [{ port: 80, nodePort: 30099 }]) })).status).toBe(201);
  });

  it("releases everything when a namespace goes", async () => {
    await json("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "svc-bye" } } });
    await json("/api/v1/namespaces/svc-bye/services", { body: service("x", { type: "NodePort" }, [{ port: 80, nodePort: 30111 }]) });
    expect(await heldBy("svc-bye/x")).toContain("nodeport 30111 svc-bye/x");
    await json("/api/v1/namespaces/svc-bye", { method: "DELETE" });
    const deadline = Date.now() + 10_000;
    while ((await heldBy("svc-bye/x")).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await heldBy("svc-bye/x")).toEqual([]);
  });
});

describe("a store whose Services predate allocation", () => {
  it("records what its Services hold once, when the table is new", async () => {
    const before = await allocations();
    expect(before.length).toBeGreaterThan(50);
    const readopt = (instance: unknown, state: DurableObjectState): number => {
      const store = instance as { serviceAllocator: { adoptExisting(s: unknown): void }; store: unknown };
      state.storage.sql.exec(`DELETE FROM service_alloc`);
      state.storage.sql.exec(`DELETE FROM meta WHERE k = 'service_alloc_adopted'`);
      store.serviceAllocator.adoptExisting(store.store);
      return state.storage.sql.exec(`SELECT COUNT(*) AS n FROM service_alloc`).one().n as number;
    };
    const after: number = await runInDurableObject(store() as DurableObjectStub, readopt);
    expect(after).toBe(before.length);
    expect(await allocations()).toEqual(before);
    // Adopted values are taken: asking for one is refused.
    const taken = await json(SVC, { body: service("after-adopt", { type: "NodePort" }, [{ port: 80, nodePort: 30080 }]) });
    expect(taken.status).toBe(422);
  });

  it("gives a stored Service without an address one on its next update", async () => {
    await json(SVC, { body: service("legacy", { type: "NodePort" }) });
    // Make it look as it was stored before allocation existed: no address, no node port, no rows.
    const strip = (_i: unknown, state: DurableObjectState): void => {
      const row = state.storage.sql.exec(`SELECT kv.id AS id, kv.value AS value FROM current JOIN kv ON kv.id = current.rev WHERE current.key = 'services/default/legacy'`).one();
      const obj = JSON.parse(row.value as string);
      delete obj.spec.clusterIP;
      delete obj.spec.clusterIPs;
      delete obj.spec.ports[0].nodePort;
      state.storage.sql.exec(`UPDATE kv SET value = ? WHERE id = ?`, JSON.stringify(obj), row.id);
      state.storage.sql.exec(`DELETE FROM service_alloc WHERE owner = 'default/legacy'`);
    };
    await runInDurableObject(store() as DurableObjectStub, strip);
    expect((await json(`${SVC}/legacy`)).body.spec.clusterIP).toBeUndefined();
    const r = await json(`${SVC}/legacy`, { method: "PATCH", body: { metadata: { labels: { touched: "yes" } } }, contentType: "application/merge-patch+json" });
    expect(r.status).toBe(200);
    const ip = r.body.spec.clusterIP;
    const np = r.body.spec.ports[0].nodePort;
    expect(ip).toMatch(/^10\./);
    expect(r.body.spec.clusterIPs).toEqual([ip]);
    expect(np).toBeGreaterThanOrEqual(30000);
    expect((await heldBy("default/legacy")).sort()).toEqual([`ip ${ipNumber(ip)} default/legacy`, `nodeport ${np} default/legacy`].sort());
  });
});
