import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGetText, nodeCluster } from "./node-harness";
import { eventually } from "./rollout-helpers";
import { deploymentOf } from "./scheduling-helpers";

const IMAGE = "busybox:local";
const A = "svc-node-a";
const B = "svc-node-b";

/** httpd pods that answer with their own name, on one node, Ready once `/ctl/<name>` exists on the host (when `ctl` is given). */
function webDeployment(name: string, replicas: number, node: string, ctl?: string): string {
  const probe = ctl
    ? { exec: { command: ["sh", "-c", "test -f /ctl/$HOSTNAME"] }, periodSeconds: 1, failureThreshold: 1 }
    : { httpGet: { path: "/index.html", port: 8080 }, periodSeconds: 1 };
  return deploymentOf(name, replicas, {
    terminationGracePeriodSeconds: 1,
    nodeSelector: { "kubernetes.io/hostname": node },
    volumes: ctl ? [{ name: "ctl", hostPath: { path: ctl, type: "Directory" } }] : [],
    containers: [
      {
        name: "web",
        image: IMAGE,
        command: ["sh", "-c", "mkdir -p /www && echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"],
        ports: [{ containerPort: 8080, name: "http" }],
        readinessProbe: probe,
        volumeMounts: ctl ? [{ name: "ctl", mountPath: "/ctl" }] : [],
      },
    ],
  });
}

/** A pod on `node` that runs `script` once; its log is the result. */
function clientPod(name: string, node: string, script: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { restartPolicy: "Never", nodeSelector: { "kubernetes.io/hostname": node }, containers: [{ name: "c", image: IMAGE, command: ["sh", "-c", script] }] },
  });
}

/** `n` requests to `url` from a pod, one line per answer ("ERR" for a failure). */
const requests = (url: string, n: number) => `for i in $(busybox seq ${n}); do busybox timeout 3 wget -q -O - ${url} || echo ERR; done`;

function iptablesText(): string {
  return spawnSync("iptables-save", ["-t", "nat"], { encoding: "utf8" }).stdout;
}

describe("Services with real packets across two nodes", () => {
  const c = nodeCluster();
  const ctl = mkdtempSync(join(tmpdir(), "flotilla-ready-"));
  let run = 0;

  /** Runs a client pod to completion and returns its log lines. */
  async function fromPod(node: string, script: string): Promise<string[]> {
    const name = `client-${++run}`;
    await c.ok(["apply", "-f", "-"], clientPod(name, node, script));
    const pod = await c.podUntil(name, (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed", 90_000);
    const out = await c.ok(["logs", name]);
    await c.ok(["delete", "pod", name, "--wait=false"]);
    expect(pod.status.phase, out).toBe("Succeeded");
    return out.trim().split("\n");
  }

  async function readyEndpoints(service: string): Promise<string[]> {
    const slices = await c.json(["get", "endpointslices", "-l", `kubernetes.io/service-name=${service}`]);
    return slices.items.flatMap((s: any) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready).map((e: any) => e.targetRef?.name));
  }

  beforeAll(async () => {
    await c.startAgent(A);
    await c.startAgent(B);
    await c.ok(["apply", "-f", "-"], webDeployment("web", 3, A));
    await eventually(() => c.json(["get", "deploy", "web"]), (d) => d.status?.readyReplicas === 3, 120_000, 500);
    await c.ok(["expose", "deployment", "web", "--port", "80", "--target-port", "8080"]);
    await eventually(() => readyEndpoints("web"), (e) => e.length === 3, 30_000, 300);
  });
  afterAll(() => rmSync(ctl, { recursive: true, force: true }));

  it("a ClusterIP Service answers by its DNS name from a pod on another node, spreading requests", async () => {
    const pods = (await c.json(["get", "pods", "-l", "app=web"])).items.map((p: any) => p.metadata.name).sort();
    const lines = await fromPod(B, requests("http://web.default.svc.cluster.local/", 30));
    expect(lines.filter((l) => l === "ERR")).toEqual([]);
    const hit = new Set(lines);
    for (const h of hit) expect(pods).toContain(h);
    expect(hit.size).toBeGreaterThan(1);
    // The search list makes the short name work too.
    expect(await fromPod(B, requests("http://web/", 3))).toEqual(expect.arrayContaining([expect.stringMatching(/^web-/)]));
  });

  it("a NodePort Service answers from the host on the node's address", async () => {
    await c.ok(["expose", "deployment", "web", "--name", "web-np", "--type", "NodePort", "--port", "80", "--target-port", "8080"]);
    const svc = await c.json(["get", "svc", "web-np"]);
    const nodePort = svc.spec.ports[0].nodePort;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const node = await c.json(["get", "node", A]);
    const ip = node.status.addresses.find((a: any) => a.type === "InternalIP").address;
    const body = await eventually(() => httpGetText(`http://${ip}:${nodePort}/`).catch(() => ""), (b) => b.startsWith("web-"), 15_000, 300);
    expect(body).toMatch(/^web-/);
  });

  it("ClientIP session affinity keeps one client on one pod", async () => {
    await c.ok(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web-sticky" },
      spec: { selector: { app: "web" }, sessionAffinity: "ClientIP", ports: [{ port: 80, targetPort: "http" }] },
    }));
    await eventually(() => readyEndpoints("web-sticky"), (e) => e.length === 3, 30_000, 300);
    const lines = await fromPod(B, requests("http://web-sticky/", 15));
    expect(lines.filter((l) => l === "ERR")).toEqual([]);
    expect(new Set(lines).size).toBe(1);
  });

  it("a headless Service resolves to the pods' IPs", async () => {
    await c.ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "web-headless" }, spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 8080, name: "http" }] } }));
    const ips = (await c.json(["get", "pods", "-l", "app=web"])).items.map((p: any) => p.status.podIP);
    await eventually(() => readyEndpoints("web-headless"), (e) => e.length === 3, 30_000, 300);
    const out = (await fromPod(B, "nslookup web-headless.default.svc.cluster.local")).join("\n");
    for (const ip of ips) expect(out).toContain(ip);
    const svc = await c.json(["get", "svc", "web-headless"]);
    expect(svc.spec.clusterIP).toBe("None");
  });

  it("scaling the Deployment updates the endpoints", async () => {
    await c.ok(["scale", "deployment", "web", "--replicas", "1"]);
    await eventually(() => readyEndpoints("web"), (e) => e.length === 1, 60_000, 300);
    const lines = await fromPod(B, requests("http://web/", 6));
    expect(new Set(lines).size).toBe(1);
    await c.ok(["scale", "deployment", "web", "--replicas", "3"]);
    await eventually(() => readyEndpoints("web"), (e) => e.length === 3, 90_000, 300);
  });

  it("a pod that turns NotReady leaves the EndpointSlice and gets no more traffic", async () => {
    await c.ok(["apply", "-f", "-"], webDeployment("gated", 2, A, ctl));
    const pods: string[] = await eventually(
      async () => (await c.json(["get", "pods", "-l", "app=gated"])).items.map((p: any) => p.metadata.name as string),
      (names) => names.length === 2,
      60_000,
      300,
    );
    for (const p of pods) writeFileSync(join(ctl, p), "");
    await c.ok(["expose", "deployment", "gated", "--port", "80", "--target-port", "8080"]);
    await eventually(() => readyEndpoints("gated"), (e) => e.length === 2, 60_000, 300);
    rmSync(join(ctl, pods[0]));
    await eventually(() => readyEndpoints("gated"), (e) => e.length === 1 && e[0] === pods[1], 30_000, 300);
    const slices = await c.json(["get", "endpointslices", "-l", "kubernetes.io/service-name=gated"]);
    const notReady = slices.items.flatMap((s: any) => s.endpoints).find((e: any) => e.targetRef.name === pods[0]);
    expect(notReady.conditions.ready).toBe(false);
    const lines = await fromPod(B, requests("http://gated/", 12));
    expect(new Set(lines)).toEqual(new Set([pods[1]]));
  });

  it("a LoadBalancer Service gets the node addresses and answers there", async () => {
    await c.ok(["expose", "deployment", "web", "--name", "web-lb", "--type", "LoadBalancer", "--port", "8081", "--target-port", "8080"]);
    const svc = await eventually(() => c.json(["get", "svc", "web-lb"]), (s) => (s.status?.loadBalancer?.ingress ?? []).length > 0, 30_000, 300);
    const ip = svc.status.loadBalancer.ingress[0].ip;
    const table = await c.ok(["get", "svc", "web-lb", "--no-headers"]);
    expect(table).toContain(ip);
    const body = await eventually(() => httpGetText(`http://${ip}:8081/`).catch(() => ""), (b) => b.startsWith("web-"), 15_000, 300);
    expect(body).toMatch(/^web-/);
  });

  it("deleting a Service removes its rules from the packet filter", async () => {
    const svc = await c.json(["get", "svc", "web-sticky"]);
    const ip = svc.spec.clusterIP;
    expect(iptablesText()).toContain(`${ip}/32`);
    await c.ok(["delete", "svc", "web-sticky"]);
    await eventually(async () => iptablesText(), (t) => !t.includes(`${ip}/32`), 10_000, 200);
  });
});
