import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServiceProxy, type ServiceProxy } from "../../agent/proxy/service-proxy";
import { ensureForwardingSysctls } from "../../agent/proxy/sysctls";
import { staticCatalog, type EndpointEntry, type ServiceCatalog, type ServiceEntry } from "../../agent/services/catalog";
import { FakeHost } from "./agent-proxy-fake-host";

function service(name: string, clusterIP: string): ServiceEntry {
  return {
    namespace: "default",
    name,
    type: "ClusterIP",
    clusterIPs: [clusterIP],
    headless: false,
    ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
    sessionAffinity: "None",
    affinityTimeoutSeconds: 10800,
    loadBalancerIPs: [],
    externalIPs: [],
  };
}

function ep(ip: string): EndpointEntry {
  return { addresses: [ip], ready: true, serving: true, terminating: false, nodeName: "n1", ports: [{ name: "http", port: 8080, protocol: "TCP" }] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 1000): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let procSys: string;

beforeAll(async () => {
  procSys = await mkdtemp(join(tmpdir(), "proxy-sysctl-"));
  await mkdir(join(procSys, "net/ipv4"), { recursive: true });
  await mkdir(join(procSys, "net/bridge"), { recursive: true });
});

afterAll(async () => {
  await rm(procSys, { recursive: true, force: true });
});

async function kernelSettings(ipForward: string, bridge: string | undefined): Promise<void> {
  await writeFile(join(procSys, "net/ipv4/ip_forward"), ipForward);
  if (bridge === undefined) await rm(join(procSys, "net/bridge/bridge-nf-call-iptables"), { force: true });
  else await writeFile(join(procSys, "net/bridge/bridge-nf-call-iptables"), bridge);
}

function proxyOn(host: FakeHost, catalog: ServiceCatalog, extra: { now?: () => number; log?: (l: string) => void; chainPrefix?: string; debounceMs?: number } = {}): ServiceProxy {
  return startServiceProxy({
    catalog,
    nodeName: "n1",
    nodeIPs: ["192.0.2.2"],
    podCIDR: "10.244.1.0/24",
    clusterCIDR: "10.244.0.0/16",
    chainPrefix: extra.chainPrefix ?? "t1",
    runner: host,
    debounceMs: extra.debounceMs ?? 20,
    procSys,
    now: extra.now,
    log: extra.log,
  });
}

const ownChains = (host: FakeHost, table: string, prefix = "t1") => host.chainNames(table).filter((c) => c.startsWith(`${prefix}-`));
const restores = (host: FakeHost) => host.calls.filter((c) => c.cmd === "iptables-restore");

describe("the service proxy's sync loop", () => {
  it("writes the rules and hooks each built-in chain once, also over repeated syncs", async () => {
    await kernelSettings("1", "1");
    const host = new FakeHost();
    const catalog = staticCatalog([service("web", "10.96.0.10")], { "default/web": [ep("10.244.1.2")] });
    const proxy = proxyOn(host, catalog);
    await proxy.syncNow();
    await proxy.syncNow();
    expect(ownChains(host, "nat")).toEqual(expect.arrayContaining(["t1-SERVICES", "t1-NODEPORTS", "t1-POSTROUTING", "t1-MARK-MASQ"]));
    expect(ownChains(host, "nat").filter((c) => c.startsWith("t1-SVC-"))).toHaveLength(1);
    expect(ownChains(host, "filter")).toEqual(["t1-SERVICES"]);
    for (const [table, chain] of [["nat", "PREROUTING"], ["nat", "OUTPUT"], ["nat", "POSTROUTING"], ["filter", "INPUT"], ["filter", "FORWARD"], ["filter", "OUTPUT"]]) {
      expect(host.chain(table, chain)!.filter((r) => / -j t1-/.test(r))).toHaveLength(1);
    }
    expect(host.calls.filter((c) => c.cmd === "iptables" && c.args.includes("-I"))).toHaveLength(6);
    await proxy.stop();
  });

  it("writes nothing before the catalog has synced", async () => {
    const host = new FakeHost();
    const inner = staticCatalog([service("web", "10.96.0.10")], {});
    let synced = false;
    const catalog: ServiceCatalog = {
      services: inner.services,
      service: inner.service,
      endpoints: inner.endpoints,
      nodes: inner.nodes,
      onChange: inner.onChange,
      get synced() {
        return synced;
      },
    };
    const proxy = proxyOn(host, catalog);
    await sleep(60);
    await proxy.syncNow();
    expect(host.calls).toEqual([]);
    synced = true;
    inner.set({});
    await until(() => restores(host).length > 0, "the first sync");
    expect(restores(host)).toHaveLength(1);
    await proxy.stop();
  });

  it("turns a burst of catalog changes into one sync, within the debounce time", async () => {
    const host = new FakeHost();
    const catalog = staticCatalog([], {});
    const proxy = proxyOn(host, catalog, { debounceMs: 150 });
    await proxy.syncNow();
    const before = restores(host).length;
    for (let i = 0; i < 5; i++) {
      catalog.set({ services: [service("web", "10.96.0.10")], endpoints: { "default/web": [ep(`10.244.1.${i + 2}`)] } });
      await sleep(5);
    }
    expect(restores(host).length).toBe(before);
    await until(() => restores(host).length > before, "the sync");
    await sleep(200);
    expect(restores(host).length - before).toBe(1);
    expect(host.chain("nat", ownChains(host, "nat").find((c) => c.startsWith("t1-SEP-"))!)!.join("\n")).toContain("10.244.1.6:8080");
    await proxy.stop();
  });

  it("deletes a service's chains when it goes, and records the sync's figures", async () => {
    const host = new FakeHost();
    const catalog = staticCatalog([service("a", "10.96.0.10"), service("b", "10.96.0.11")], { "default/a": [ep("10.244.1.2")], "default/b": [ep("10.244.1.3")] });
    let t = 1000;
    const proxy = proxyOn(host, catalog, { now: () => (t += 5) });
    await proxy.syncNow();
    expect(ownChains(host, "nat").filter((c) => /-(SVC|SEP)-/.test(c))).toHaveLength(4);
    catalog.set({ services: [service("a", "10.96.0.10")] });
    await proxy.syncNow();
    expect(ownChains(host, "nat").filter((c) => /-(SVC|SEP)-/.test(c))).toHaveLength(2);
    expect(host.chain("nat", "t1-SERVICES")!.join("\n")).not.toContain("10.96.0.11");
    expect(proxy.lastSync).toEqual({ at: expect.any(Number), durationMs: 5, rules: expect.any(Number) });
    expect(proxy.lastSync!.rules).toBe(3 + 1 + 2 + 2 + 2); // postrouting, mark, services (+ node ports jump), svc, sep
    await proxy.stop();
  });

  it("stop with cleanup removes every chain and hook of its prefix, and nothing of another prefix or the CNI plugins", async () => {
    const host = new FakeHost();
    host.tables.get("nat")!.set("CNI-HOSTPORT-DNAT", []);
    host.addRule("nat", "PREROUTING", "-m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT");
    const catalog = staticCatalog([service("web", "10.96.0.10")], { "default/web": [ep("10.244.1.2")] });
    const mine = proxyOn(host, catalog);
    const other = proxyOn(host, catalog, { chainPrefix: "t12" });
    await mine.syncNow();
    await other.syncNow();
    const othersBefore = ownChains(host, "nat", "t12");
    await mine.stop({ cleanup: true });
    expect(ownChains(host, "nat")).toEqual([]);
    expect(ownChains(host, "filter")).toEqual([]);
    expect(host.save()).not.toMatch(/ -j t1-/);
    expect(ownChains(host, "nat", "t12")).toEqual(othersBefore);
    expect(host.chain("nat", "PREROUTING")).toEqual(['-m comment --comment "t12 service portals" -j t12-SERVICES', "-m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT"]);
    await other.stop();
    expect(ownChains(host, "nat", "t12")).toEqual(othersBefore); // a plain stop leaves the rules working
  });

  it("reports a failed write, keeps the old rules, and retries", async () => {
    const host = new FakeHost();
    const logs: string[] = [];
    const catalog = staticCatalog([service("web", "10.96.0.10")], { "default/web": [ep("10.244.1.2")] });
    const proxy = proxyOn(host, catalog, { log: (l) => logs.push(l) });
    await proxy.syncNow();
    const saved = host.save();
    host.failNext.add("iptables-restore");
    catalog.set({ endpoints: { "default/web": [ep("10.244.1.9")] } });
    await expect(proxy.syncNow()).rejects.toThrow(/injected failure/);
    expect(host.save()).toBe(saved);
    expect(logs.some((l) => /sync failed: iptables-restore .* injected failure/.test(l))).toBe(true);
    // the first retry comes after about a second
    await until(() => host.save().includes("10.244.1.9:8080"), "the retry", 3000);
    await proxy.stop();
  });

  it("rejects a prefix that is too long and a podCIDR outside the cluster CIDR", () => {
    const catalog = staticCatalog([], {});
    expect(() => proxyOn(new FakeHost(), catalog, { chainPrefix: "toolong1" })).toThrow(/prefix/);
    expect(() =>
      startServiceProxy({ catalog, nodeName: "n1", nodeIPs: [], podCIDR: "10.245.1.0/24", clusterCIDR: "10.244.0.0/16", chainPrefix: "t1", runner: new FakeHost() }),
    ).toThrow(/not inside/);
  });
});

describe("kernel settings for service traffic", () => {
  it("turns on forwarding and bridged-traffic filtering, loading br_netfilter when its setting is missing", async () => {
    await kernelSettings("0", undefined);
    const calls: string[] = [];
    const runner = {
      async run(cmd: string, args: string[]) {
        calls.push([cmd, ...args].join(" "));
        await writeFile(join(procSys, "net/bridge/bridge-nf-call-iptables"), "0\n");
        return { code: 0, stdout: "", stderr: "" };
      },
    };
    expect(await ensureForwardingSysctls({ runner, procSys })).toEqual([]);
    expect(calls).toEqual(["modprobe br_netfilter"]);
    expect((await readFile(join(procSys, "net/ipv4/ip_forward"), "utf8")).trim()).toBe("1");
    expect((await readFile(join(procSys, "net/bridge/bridge-nf-call-iptables"), "utf8")).trim()).toBe("1");
  });

  it("says which setting it could not make", async () => {
    await kernelSettings("1", undefined);
    const logs: string[] = [];
    const runner = { run: async () => ({ code: 1, stdout: "", stderr: "modprobe: FATAL: Module br_netfilter not found" }) };
    expect(await ensureForwardingSysctls({ runner, procSys, log: (l) => logs.push(l) })).toEqual(["net.bridge.bridge-nf-call-iptables"]);
    expect(logs.join("\n")).toMatch(/modprobe br_netfilter failed: modprobe: FATAL/);
  });
});
