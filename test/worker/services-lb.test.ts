import { describe, expect, it } from "vitest";
import { json } from "./helpers";

const SVC = "/api/v1/namespaces/default/services";
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

function nodeStatus(ip: string, ready: boolean) {
  const t = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: "KubeletReady", lastHeartbeatTime: t, lastTransitionTime: t }],
    addresses: [
      { type: "InternalIP", address: ip },
      { type: "Hostname", address: "h" },
    ],
  };
}

async function node(name: string, ip: string, ready = true): Promise<void> {
  expect((await json("/api/v1/nodes", { body: { apiVersion: "v1", kind: "Node", metadata: { name } } })).status).toBe(201);
  await setNodeReady(name, ip, ready);
}

async function setNodeReady(name: string, ip: string, ready: boolean): Promise<void> {
  const r = await json(`/api/v1/nodes/${name}/status`, { method: "PATCH", body: { status: nodeStatus(ip, ready) }, contentType: MERGE });
  expect(r.status).toBe(200);
}

const ingressOf = async (name: string) => (await json(`${SVC}/${name}`)).body.status?.loadBalancer ?? {};
const ips = (lb: any) => (lb.ingress ?? []).map((i: any) => i.ip);

describe("LoadBalancer status from the nodes", () => {
  it("stays empty while there is no node", async () => {
    const r = await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "early" }, spec: { type: "LoadBalancer", selector: { app: "x" }, ports: [{ port: 80 }] } } });
    expect(r.status).toBe(201);
    expect(r.body.status).toEqual({ loadBalancer: {} });
  });

  it("lists the Ready, schedulable nodes' InternalIPs in address order, as VIPs", async () => {
    await node("lb-b", "192.168.1.20");
    await node("lb-a", "192.168.1.9");
    await node("lb-c", "192.168.1.30", false);
    const lb = await eventually(() => ingressOf("early"), (x) => ips(x).length === 2);
    expect(lb).toEqual({ ingress: [{ ip: "192.168.1.9", ipMode: "VIP" }, { ip: "192.168.1.20", ipMode: "VIP" }] });
  });

  it("gives a new LoadBalancer service the same addresses, and none to other types", async () => {
    await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "late" }, spec: { type: "LoadBalancer", ports: [{ port: 443 }] } } });
    await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "plain" }, spec: { type: "NodePort", ports: [{ port: 443 }] } } });
    expect(ips(await eventually(() => ingressOf("late"), (x) => ips(x).length === 2))).toEqual(["192.168.1.9", "192.168.1.20"]);
    expect(await ingressOf("plain")).toEqual({});
  });

  it("follows nodes becoming ready, cordoned, unready and deleted", async () => {
    await setNodeReady("lb-c", "192.168.1.30", true);
    expect(ips(await eventually(() => ingressOf("early"), (x) => ips(x).length === 3))).toEqual(["192.168.1.9", "192.168.1.20", "192.168.1.30"]);
    await json("/api/v1/nodes/lb-a", { method: "PATCH", body: { spec: { unschedulable: true } }, contentType: MERGE });
    expect(ips(await eventually(() => ingressOf("early"), (x) => ips(x).length === 2))).toEqual(["192.168.1.20", "192.168.1.30"]);
    await setNodeReady("lb-b", "192.168.1.20", false);
    expect(ips(await eventually(() => ingressOf("early"), (x) => ips(x).length === 1))).toEqual(["192.168.1.30"]);
    await json("/api/v1/nodes/lb-c", { method: "DELETE" });
    expect(await eventually(() => ingressOf("early"), (x) => ips(x).length === 0)).toEqual({});
  });

  it("leaves a service with its own loadBalancerClass alone", async () => {
    await setNodeReady("lb-b", "192.168.1.20", true);
    await json(SVC, { body: { apiVersion: "v1", kind: "Service", metadata: { name: "classy" }, spec: { type: "LoadBalancer", loadBalancerClass: "example.com/lb", ports: [{ port: 80 }] } } });
    await eventually(() => ingressOf("early"), (x) => ips(x).length === 1);
    expect(await ingressOf("classy")).toEqual({});
  });

  it("drops the status when the service stops being a LoadBalancer", async () => {
    expect(ips(await ingressOf("late"))).toEqual(["192.168.1.20"]);
    const r = await json(`${SVC}/late`, { method: "PATCH", body: { spec: { type: "ClusterIP" } }, contentType: MERGE });
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ loadBalancer: {} });
    expect(r.body.spec.ports[0].nodePort).toBeUndefined();
  });
});
