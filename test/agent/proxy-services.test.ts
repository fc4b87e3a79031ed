// The node proxy against the real packet filter: busybox httpd "pods" in sandboxes on a CNI
// bridge behind a ClusterIP/NodePort service, reached from the host and from another pod.
// Needs root, containerd, /usr/lib/cni and iptables.
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeProxyRules, startServiceProxy, type ServiceProxy } from "../../agent/proxy/service-proxy";
import { spawnRunner } from "../../agent/runtime/command";
import { Ctr } from "../../agent/runtime/ctr";
import { SandboxManager, type SandboxInfo, type SandboxSpec } from "../../agent/sandbox/sandbox-manager";
import { staticCatalog, type EndpointEntry, type ServiceEntry, type StaticCatalog } from "../../agent/services/catalog";
import { BUSYBOX_REF, cleanupNamespace, ensureBusyboxImage } from "./image";

const NS = "flotilla-test-proxy";
const SANDBOX_PREFIX = "tpx1";
const POD_CIDR = "10.244.246.0/24";
const CLUSTER_CIDR = "10.244.0.0/16";
const PREFIX = "tpx1";
const OTHER_PREFIX = "tpx2";
const NODE = "proxy-test-node";
const CLUSTER_IP = "10.96.246.10";
const NODE_PORT = 30946;
const WEB_PODS = ["web-a", "web-b", "web-c"];

const ctr = new Ctr({ namespace: NS });
const sandboxes = new Map<string, SandboxInfo>();
const proxies: ServiceProxy[] = [];
let manager: SandboxManager;
let dataDir: string;
let catalog: StaticCatalog;
let proxy: ServiceProxy;
let hostIP: string;

/** The host's own IPv4 address on its uplink (not loopback, not a pod bridge). */
function hostAddress(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith("fl-") || name.startsWith("veth") || name.startsWith("cni")) continue;
    const v4 = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address");
}

function podSpec(id: string): SandboxSpec {
  return { id, hostname: id, hostsEntries: [], dns: { nameservers: [], searches: [], options: [] }, portMappings: [] };
}

function webService(extra: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    namespace: "default",
    name: "web",
    type: "NodePort",
    clusterIPs: [CLUSTER_IP],
    headless: false,
    ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080, nodePort: NODE_PORT }],
    sessionAffinity: "None",
    affinityTimeoutSeconds: 10800,
    loadBalancerIPs: [],
    externalIPs: [],
    externalTrafficPolicy: "Cluster",
    ...extra,
  };
}

function endpoint(ip: string, extra: Partial<EndpointEntry> = {}): EndpointEntry {
  return { addresses: [ip], ready: true, serving: true, terminating: false, nodeName: NODE, ports: [{ name: "http", port: 8080, protocol: "TCP" }], ...extra };
}

function webEndpoints(notReady: string[] = []): Record<string, EndpointEntry[]> {
  return { "default/web": WEB_PODS.map((id) => endpoint(sandboxes.get(id)!.ip, notReady.includes(id) ? { ready: false, serving: false } : {})) };
}

/** One HTTP GET on a fresh connection from the host; resolves with the body. */
function getFromHost(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body.trim()));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** One HTTP GET from inside a pod's network namespace. */
async function getFromPod(pod: string, host: string, port: number): Promise<string> {
  const r = await spawnRunner.run("ip", ["netns", "exec", `${SANDBOX_PREFIX}_${pod}`, "busybox", "timeout", "5", "busybox", "wget", "-q", "-O", "-", `http://${host}:${port}/`]);
  if (r.code !== 0) throw new Error(`wget from ${pod} to ${host}:${port} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function repeat(n: number, fn: () => Promise<string>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

async function iptablesSave(): Promise<string> {
  const r = await spawnRunner.run("iptables-save", []);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    if (await check()) return;
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startProxy(prefix: string, logs?: string[]): ServiceProxy {
  const p = startServiceProxy({
    catalog,
    nodeName: NODE,
    nodeIPs: [hostIP],
    podCIDR: POD_CIDR,
    clusterCIDR: CLUSTER_CIDR,
    chainPrefix: prefix,
    debounceMs: 50,
    log: (l) => logs?.push(l),
  });
  proxies.push(p);
  return p;
}

/** Removes what an earlier, interrupted run of this file may have left in the packet filter. */
async function sweepRules(): Promise<void> {
  for (const prefix of [PREFIX, OTHER_PREFIX]) await removeProxyRules(prefix);
}

beforeAll(async () => {
  hostIP = hostAddress();
  await sweepRules();
  await cleanupNamespace(NS);
  dataDir = await mkdtemp(join(tmpdir(), "proxy-test-"));
  manager = new SandboxManager({ prefix: SANDBOX_PREFIX, dataDir, podCIDR: POD_CIDR });
  await manager.removeAll();
  await ensureBusyboxImage(NS, ctr);
  for (const id of [...WEB_PODS, "client"]) sandboxes.set(id, await manager.ensure(podSpec(id)));
  for (const id of WEB_PODS) {
    const sb = sandboxes.get(id)!;
    await ctr.run({
      id,
      image: BUSYBOX_REF,
      argv: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"],
      env: [],
      labels: {},
      mounts: [],
      namespaces: [
        { type: "network", path: sb.netnsPath },
        { type: "uts", path: sb.utsPath },
      ],
      logPath: join(dataDir, "logs", id, "0.log"),
    });
  }
  for (const id of WEB_PODS) {
    const ip = sandboxes.get(id)!.ip;
    await until(() => getFromHost(ip, 8080, 1000).then((b) => b === id, () => false), `httpd in ${id}`);
  }
  catalog = staticCatalog([webService()], webEndpoints(), [{ name: NODE, podCIDR: POD_CIDR, internalIP: hostIP, ready: true }]);
  proxy = startProxy(PREFIX);
  await proxy.syncNow();
});

afterAll(async () => {
  const failures: unknown[] = [];
  for (const p of proxies) await p.stop({ cleanup: true }).catch((e: unknown) => failures.push(e));
  await sweepRules().catch((e: unknown) => failures.push(e));
  await cleanupNamespace(NS).catch((e: unknown) => failures.push(e));
  await manager?.removeAll().catch((e: unknown) => failures.push(e));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (failures.length > 0) throw new AggregateError(failures, "cleaning up the proxy test failed");
});

describe("a ClusterIP service through the node proxy", () => {
  it("answers on the cluster IP from the host and from another pod", async () => {
    expect(WEB_PODS).toContain(await getFromHost(CLUSTER_IP, 80));
    expect(WEB_PODS).toContain(await getFromPod("client", CLUSTER_IP, 80));
  });

  it("spreads connections over the endpoints: 30 requests reach more than one pod", async () => {
    const fromHost = new Set(await repeat(30, () => getFromHost(CLUSTER_IP, 80)));
    const fromPod = new Set(await repeat(30, () => getFromPod("client", CLUSTER_IP, 80)));
    expect(fromHost.size).toBeGreaterThan(1);
    expect(fromPod.size).toBeGreaterThan(1);
    for (const seen of [...fromHost, ...fromPod]) expect(WEB_PODS).toContain(seen);
  });

  it("keeps a client on one pod with ClientIP session affinity", async () => {
    catalog.set({ services: [webService({ sessionAffinity: "ClientIP", affinityTimeoutSeconds: 60 })] });
    await proxy.syncNow();
    const answers = await repeat(10, () => getFromPod("client", CLUSTER_IP, 80));
    expect(new Set(answers).size).toBe(1);
    catalog.set({ services: [webService()] });
    await proxy.syncNow();
  });

  it("answers on the node port of the host's address, from the host and from a pod", async () => {
    expect(WEB_PODS).toContain(await getFromHost(hostIP, NODE_PORT));
    expect(WEB_PODS).toContain(await getFromPod("client", hostIP, NODE_PORT));
  });

  it("lets a pod reach itself through its service (hairpin)", async () => {
    catalog.set({ endpoints: { "default/web": [endpoint(sandboxes.get("web-a")!.ip)] } });
    await proxy.syncNow();
    expect(await getFromPod("web-a", CLUSTER_IP, 80)).toBe("web-a");
    catalog.set({ endpoints: webEndpoints() });
    await proxy.syncNow();
  });

  it("stops sending traffic to an endpoint that is no longer ready, within a second of the change", async () => {
    const changed = Date.now();
    catalog.set({ endpoints: webEndpoints(["web-b"]) });
    const ipB = sandboxes.get("web-b")!.ip;
    await until(async () => !(await iptablesSave()).includes(`${ipB}:8080`), "web-b's rules to go", 1000);
    console.log(`rules followed the catalog change after ${Date.now() - changed} ms`);
    const answers = await repeat(30, () => getFromHost(CLUSTER_IP, 80));
    expect(answers).not.toContain("web-b");
    expect(new Set(answers)).toEqual(new Set(["web-a", "web-c"]));
    catalog.set({ endpoints: webEndpoints() });
    await proxy.syncNow();
  });

  it("refuses connections at once when no endpoint is ready", async () => {
    catalog.set({ endpoints: webEndpoints(WEB_PODS) });
    await proxy.syncNow();
    const started = Date.now();
    await expect(getFromHost(CLUSTER_IP, 80)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await expect(getFromHost(hostIP, NODE_PORT)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(Date.now() - started).toBeLessThan(1000);
    catalog.set({ endpoints: webEndpoints() });
    await proxy.syncNow();
    expect(WEB_PODS).toContain(await getFromHost(CLUSTER_IP, 80));
  });

  it("writes a service with 100 endpoints quickly", async () => {
    const many = Array.from({ length: 100 }, (_, i) => endpoint(`10.244.247.${i + 2}`));
    catalog.set({ services: [webService(), webService({ name: "many", clusterIPs: ["10.96.246.11"], ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] })], endpoints: { ...webEndpoints(), "default/many": many } });
    await proxy.syncNow();
    const stats = proxy.lastSync!;
    console.log(`rule sync with a 100-endpoint service: ${stats.rules} rules in ${stats.durationMs} ms`);
    expect(stats.rules).toBeGreaterThan(300);
    const saved = await iptablesSave();
    expect(saved).toContain("10.244.247.101:8080");
    expect(saved.split("\n").filter((l) => l.startsWith(`-A ${PREFIX}-SEP-`) && l.includes("DNAT"))).toHaveLength(103);
    catalog.set({ services: [webService()], endpoints: webEndpoints() });
    await proxy.syncNow();
  });

  it("keeps serving through a second agent's chains when the first one stops with cleanup", async () => {
    const other = startProxy(OTHER_PREFIX);
    await other.syncNow();
    expect(WEB_PODS).toContain(await getFromHost(CLUSTER_IP, 80));
    await proxy.stop({ cleanup: true });
    expect(WEB_PODS).toContain(await getFromHost(CLUSTER_IP, 80));
    expect(WEB_PODS).toContain(await getFromPod("client", CLUSTER_IP, 80));
    expect(WEB_PODS).toContain(await getFromHost(hostIP, NODE_PORT));
    proxy = startProxy(PREFIX);
    await proxy.syncNow();
    await other.stop({ cleanup: true });
    expect(WEB_PODS).toContain(await getFromPod("client", CLUSTER_IP, 80));
    expect(await iptablesSave()).not.toContain(`${OTHER_PREFIX}-`);
  });

  it("removes a deleted service's rules", async () => {
    catalog.set({ services: [] });
    await until(async () => !(await iptablesSave()).includes(CLUSTER_IP), "the service's rules to go", 1000);
    const saved = await iptablesSave();
    expect(saved).not.toMatch(new RegExp(`${PREFIX}-(SVC|SEP|EXT)-`));
    expect(saved).not.toContain(`--dport ${NODE_PORT}`);
    await expect(getFromHost(hostIP, NODE_PORT, 1000)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("stop with cleanup leaves no rule or chain of its prefix", async () => {
    catalog.set({ services: [webService()] });
    await proxy.syncNow();
    expect(await iptablesSave()).toContain(`${PREFIX}-SERVICES`);
    await proxy.stop({ cleanup: true });
    const saved = await iptablesSave();
    expect(saved.split("\n").filter((l) => l.includes(`${PREFIX}-`) || l.includes(`"${PREFIX} `))).toEqual([]);
    expect(saved).toContain("CNI-HOSTPORT-DNAT"); // the CNI plugins' shared chains stay
  });
});
