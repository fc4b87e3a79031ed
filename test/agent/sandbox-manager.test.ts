import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnRunner, type CommandRunner } from "../../agent/runtime/command";
import { pluginChainNames } from "../../agent/sandbox/iptables-leftovers";
import { SandboxManager, type SandboxInfo, type SandboxSpec } from "../../agent/sandbox/sandbox-manager";

// Real network namespaces, bridges, CNI plugins and nat rules: needs root and /usr/lib/cni.

const run = promisify(execFile);
const PREFIX = "ftest1";
const POD_CIDR = "10.244.250.0/24";
const NETWORK = "flotilla-ftest1";
const BRIDGE = "fl-ftest1";
const OTHER_PREFIX = "ftest2";
const OTHER_CIDR = "10.244.251.0/24";
const HOST_PORT = 18123;

async function sh(cmd: string, ...args: string[]): Promise<string> {
  return (await run(cmd, args)).stdout;
}

async function succeeds(cmd: string, ...args: string[]): Promise<boolean> {
  return run(cmd, args).then(
    () => true,
    () => false,
  );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function podSpec(id: string, extra: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    id,
    hostname: `host-${id}`,
    hostsEntries: [{ ip: "192.0.2.200", hostnames: ["alias-one.local", "alias-two.local"] }],
    dns: { nameservers: ["10.244.250.1"], searches: ["default.svc.cluster.local", "cluster.local"], options: ["ndots:5"] },
    portMappings: [],
    ...extra,
  };
}

function netnsName(prefix: string, id: string): string {
  return `${prefix}_${id}`;
}

/** The host's own IPv4 address on its uplink (not loopback, not a pod bridge). */
function hostAddress(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith("fl-") || name.startsWith("veth")) continue;
    const v4 = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address");
}

const listeners: ChildProcess[] = [];

/** A TCP server inside the namespace that answers every connection with `reply`. */
async function listenInNetns(netns: string, port: number, reply: string): Promise<void> {
  const child = spawn("ip", ["netns", "exec", netns, "busybox", "nc", "-ll", "-p", String(port), "-e", "echo", reply], { stdio: "ignore" });
  listeners.push(child);
  for (let i = 0; i < 100; i++) {
    const out = await sh("ip", "netns", "exec", netns, "ss", "-Hltn", `sport = :${port}`);
    if (out.trim() !== "") return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} in ${netns}`);
}

/** Connects from the host and returns what the server said. */
function readFromHost(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = "";
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port}`));
    });
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("end", () => resolve(data.trim()));
    socket.on("error", reject);
  });
}

/** Connects from inside a namespace and returns what the server said. */
async function readFromNetns(netns: string, host: string, port: number): Promise<string> {
  return (await sh("ip", "netns", "exec", netns, "busybox", "nc", "-w", "3", host, String(port))).trim();
}

async function ipamReservations(dataDir: string, network: string): Promise<Map<string, string>> {
  const dir = join(dataDir, "cni-ipam", network);
  const names = await readdir(dir).catch(() => [] as string[]);
  const reservations = new Map<string, string>();
  for (const name of names.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n))) {
    reservations.set(name, (await readFile(join(dir, name), "utf8")).split(/\r?\n/)[0]);
  }
  return reservations;
}

/** The host's packet filter rules without comments and counters. */
async function packetFilterRules(): Promise<string[]> {
  return (await sh("iptables-save"))
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.replace(/ \[\d+:\d+\]$/, ""));
}

/** A runner that makes chosen commands fail, as a crash or a broken plugin would. */
function runnerFailing(when: (cmd: string, env: Record<string, string> | undefined) => boolean): CommandRunner {
  return {
    run(cmd, args, opts) {
      if (when(cmd, opts?.env)) return Promise.resolve({ code: 1, stdout: "", stderr: "injected failure" });
      return spawnRunner.run(cmd, args, opts);
    },
  };
}

describe("pod sandboxes on a real host", () => {
  let dataDir: string;
  let otherDataDir: string;
  let baselineRules: string[];
  let sandboxes: SandboxManager;
  let others: SandboxManager;
  let hostServer: Server | undefined;
  let a: SandboxInfo;
  let b: SandboxInfo;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "sandbox-test-"));
    otherDataDir = await mkdtemp(join(tmpdir(), "sandbox-test-other-"));
    sandboxes = new SandboxManager({ prefix: PREFIX, dataDir, podCIDR: POD_CIDR });
    others = new SandboxManager({ prefix: OTHER_PREFIX, dataDir: otherDataDir, podCIDR: OTHER_CIDR });
    // whatever an earlier, interrupted run left behind (its namespaces are still listed by prefix)
    await sandboxes.removeAll();
    await others.removeAll();
    baselineRules = await packetFilterRules();
  });

  afterAll(async () => {
    for (const child of listeners) child.kill("SIGKILL");
    hostServer?.close();
    const failures: unknown[] = [];
    for (const manager of [sandboxes, others]) await manager?.removeAll().catch((err: unknown) => failures.push(err));
    for (const dir of [dataDir, otherDataDir]) if (dir) await rm(dir, { recursive: true, force: true });
    if (failures.length > 0) throw new AggregateError(failures, "cleaning up the test sandboxes failed");
  });

  it("makes the bridge with its gateway address before any pod (twice is harmless), and sandboxes then join it", async () => {
    await sandboxes.ensureBridge();
    await sandboxes.ensureBridge();
    const addrs = await sh("ip", "-4", "-o", "addr", "show", "dev", BRIDGE);
    expect(addrs.match(/ 10\.244\.250\.1\/24 /g)).toHaveLength(1);
    expect(await sh("ip", "link", "show", BRIDGE)).toMatch(/<[^>]*\bUP\b[^>]*>/);
  });

  it("gives a new sandbox eth0 with an address in the podCIDR, lo up and the bridge as gateway", async () => {
    a = await sandboxes.ensure(podSpec("pod-a", { portMappings: [{ hostPort: HOST_PORT, containerPort: 8080, protocol: "tcp" }] }));
    const ns = netnsName(PREFIX, "pod-a");
    expect(a.created).toBe(true);
    expect(a.netnsPath).toBe(`/var/run/netns/${ns}`);
    expect(a.ip).toMatch(/^10\.244\.250\.\d+$/);
    expect(a.ip).not.toBe("10.244.250.1");
    expect(await sh("ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0")).toContain(` ${a.ip}/24 `);
    expect(await sh("ip", "-n", ns, "link", "show", "lo")).toMatch(/<[^>]*\bUP\b[^>]*>/);
    expect(await sh("ip", "-n", ns, "route", "show", "default")).toContain("default via 10.244.250.1 dev eth0");
    expect(sandboxes.gatewayIP()).toBe("10.244.250.1");
    expect(await sh("ip", "-4", "-o", "addr", "show", "dev", BRIDGE)).toContain(" 10.244.250.1/24 ");
    expect((await ipamReservations(dataDir, NETWORK)).get(a.ip)).toBe(ns);
    expect(JSON.parse(await readFile(join(dataDir, "sandboxes", "pod-a.json"), "utf8"))).toMatchObject({
      phase: "ready",
      ip: a.ip,
      runtimeConfig: { portMappings: [{ hostPort: HOST_PORT, containerPort: 8080, protocol: "tcp" }] },
    });
  });

  it("holds the pod's hostname in the UTS namespace file, leaving the host's alone", async () => {
    const hostHostname = (await sh("hostname")).trim();
    expect((await sh("nsenter", `--uts=${a.utsPath}`, "hostname")).trim()).toBe("host-pod-a");
    expect((await sh("hostname")).trim()).toBe(hostHostname);
    expect(hostHostname).not.toBe("host-pod-a");
  });

  it("writes the pod's hosts and resolv.conf files", async () => {
    const hosts = (await readFile(a.hostsPath, "utf8")).split("\n");
    expect(hosts).toContain("127.0.0.1\tlocalhost");
    expect(hosts).toContain(`${a.ip}\thost-pod-a`);
    expect(hosts).toContain("192.0.2.200\talias-one.local\talias-two.local");
    const resolv = await readFile(a.resolvPath, "utf8");
    expect(resolv).toMatch(/^nameserver 10\.244\.250\.1$/m);
    expect(resolv).toMatch(/^search default\.svc\.cluster\.local cluster\.local$/m);
    expect(resolv).toMatch(/^options ndots:5$/m);
  });

  it("lets the host reach the pod, and the pod reach the host through the gateway", async () => {
    await sh("busybox", "ping", "-c", "1", "-W", "3", a.ip);
    await listenInNetns(netnsName(PREFIX, "pod-a"), 8080, "hello-from-a");
    expect(await readFromHost(a.ip, 8080)).toBe("hello-from-a");

    const server = createServer((socket) => socket.end("hello-from-host\n"));
    hostServer = server;
    await new Promise<void>((resolve) => server.listen(0, sandboxes.gatewayIP(), resolve));
    const { port } = server.address() as { port: number };
    expect(await readFromNetns(netnsName(PREFIX, "pod-a"), sandboxes.gatewayIP(), port)).toBe("hello-from-host");
  });

  it("returns the same sandbox when ensured again, and from get", async () => {
    const again = await sandboxes.ensure(podSpec("pod-a", { portMappings: [{ hostPort: HOST_PORT, containerPort: 8080, protocol: "tcp" }] }));
    expect(again).toEqual({ ...a, created: false });
    expect(await sandboxes.get("pod-a")).toEqual({ ...a, created: undefined });
    expect([...(await ipamReservations(dataDir, NETWORK)).values()].filter((owner) => owner.endsWith("_pod-a"))).toHaveLength(1);
    expect(await readFromHost(a.ip, 8080)).toBe("hello-from-a");
  });

  it("brings the hostname and files up to date on a later ensure", async () => {
    const changed = podSpec("pod-a", {
      hostname: "renamed-a",
      podFqdn: "renamed-a.sub.default.svc.cluster.local",
      portMappings: [{ hostPort: HOST_PORT, containerPort: 8080, protocol: "tcp" }],
    });
    const before = (await stat(a.hostsPath)).ino;
    expect(await sandboxes.ensure(changed)).toEqual({ ...a, created: false });
    expect((await sh("nsenter", `--uts=${a.utsPath}`, "hostname")).trim()).toBe("renamed-a");
    expect((await readFile(a.hostsPath, "utf8")).split("\n")).toContain(`${a.ip}\trenamed-a.sub.default.svc.cluster.local\trenamed-a`);
    // rewritten in place, so a container's bind mount of the file sees the change
    expect((await stat(a.hostsPath)).ino).toBe(before);
  });

  it("lets two sandboxes reach each other", async () => {
    b = await sandboxes.ensure(podSpec("pod-b"));
    expect(b.ip).toMatch(/^10\.244\.250\.\d+$/);
    expect(b.ip).not.toBe(a.ip);
    await listenInNetns(netnsName(PREFIX, "pod-b"), 8080, "hello-from-b");
    expect(await readFromNetns(netnsName(PREFIX, "pod-a"), b.ip, 8080)).toBe("hello-from-b");
    expect(await readFromNetns(netnsName(PREFIX, "pod-b"), a.ip, 8080)).toBe("hello-from-a");
  });

  it("maps a hostPort to the pod through 127.0.0.1 and the host's address", async () => {
    expect(await readFromHost("127.0.0.1", HOST_PORT)).toBe("hello-from-a");
    expect(await readFromHost(hostAddress(), HOST_PORT)).toBe("hello-from-a");
    // hairpin: the pod reaches itself through the node
    expect(await readFromNetns(netnsName(PREFIX, "pod-a"), hostAddress(), HOST_PORT)).toBe("hello-from-a");
  });

  it("lists the sandboxes it owns", async () => {
    expect(await sandboxes.list()).toEqual(["pod-a", "pod-b"]);
  });

  it("remakes a sandbox whose pod interface was lost, without leaking the old address or rules", async () => {
    const c = await sandboxes.ensure(podSpec("pod-c"));
    const ns = netnsName(PREFIX, "pod-c");
    await sh("ip", "-n", ns, "link", "delete", "eth0");
    const remade = await sandboxes.ensure(podSpec("pod-c"));
    expect(remade.created).toBe(true);
    expect(await sh("ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0")).toContain(` ${remade.ip}/24 `);
    const owned = [...(await ipamReservations(dataDir, NETWORK)).entries()].filter(([, owner]) => owner === ns);
    expect(owned).toEqual([[remade.ip, ns]]);
    if (remade.ip !== c.ip) expect((await ipamReservations(dataDir, NETWORK)).has(c.ip)).toBe(false);
    const masquerade = (await packetFilterRules()).filter((line) => line.startsWith("-A POSTROUTING") && line.includes(`id: \\"${ns}\\"`));
    expect(masquerade).toHaveLength(1);
    expect(masquerade[0]).toContain(`-s ${remade.ip}/32`);
  });

  it("remakes a sandbox whose network namespace was deleted behind its back, cleaning the rules the plugins could not", async () => {
    const ns = netnsName(PREFIX, "pod-c");
    const old = await sandboxes.get("pod-c");
    await sh("ip", "netns", "delete", ns);
    expect(await sandboxes.get("pod-c")).toBeUndefined();
    const remade = await sandboxes.ensure(podSpec("pod-c"));
    expect(remade.created).toBe(true);
    expect(await sh("ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0")).toContain(` ${remade.ip}/24 `);
    const rules = (await packetFilterRules()).filter((line) => line.includes(`id: \\"${ns}\\"`));
    expect(rules.filter((line) => line.startsWith("-A POSTROUTING"))).toEqual([expect.stringContaining(`-s ${remade.ip}/32`)]);
    if (old && old.ip !== remade.ip) expect(rules.join("\n")).not.toContain(old.ip);
    await sandboxes.remove("pod-c");
  });

  it("remakes a sandbox asked for with other hostPorts, since they are fixed when its network is set up", async () => {
    const first = await sandboxes.ensure(podSpec("pod-g"));
    const ns = netnsName(PREFIX, "pod-g");
    expect((await packetFilterRules()).filter((line) => line.includes(`dnat name: \\"${NETWORK}\\" id: \\"${ns}\\"`))).toEqual([]);
    const remade = await sandboxes.ensure(podSpec("pod-g", { portMappings: [{ hostPort: HOST_PORT + 4, containerPort: 8080, protocol: "tcp" }] }));
    expect(first.created).toBe(true);
    expect(remade.created).toBe(true);
    await listenInNetns(ns, 8080, "hello-from-g");
    expect(await readFromHost("127.0.0.1", HOST_PORT + 4)).toBe("hello-from-g");
    await sandboxes.remove("pod-g");
    expect((await packetFilterRules()).join("\n")).not.toContain(ns);
  });

  it("removes a sandbox even when an older leaked rule still points at its masquerade chain", async () => {
    await sandboxes.ensure(podSpec("pod-f"));
    const ns = netnsName(PREFIX, "pod-f");
    const [chain] = pluginChainNames(NETWORK, ns);
    const comment = `name: "${NETWORK}" id: "${ns}"`;
    // what an earlier sandbox of the same id would leave if its DEL never ran: the plugin's own DEL now fails on the busy chain
    await sh("iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.244.250.250/32", "-m", "comment", "--comment", comment, "-j", chain);
    await sandboxes.remove("pod-f");
    expect((await packetFilterRules()).join("\n")).not.toContain(ns);
    expect(await exists(`/var/run/netns/${ns}`)).toBe(false);
    expect([...(await ipamReservations(dataDir, NETWORK)).values()]).not.toContain(ns);
  });

  it("cleans up after itself when making a sandbox fails half-way", async () => {
    const broken = new SandboxManager({
      prefix: PREFIX,
      dataDir,
      podCIDR: POD_CIDR,
      runner: runnerFailing((cmd, env) => cmd.endsWith("/portmap") && env?.CNI_COMMAND === "ADD"),
    });
    await expect(broken.ensure(podSpec("pod-d", { portMappings: [{ hostPort: HOST_PORT + 1, containerPort: 80, protocol: "tcp" }] }))).rejects.toThrow(/portmap.*injected failure/);
    const ns = netnsName(PREFIX, "pod-d");
    expect(await exists(`/var/run/netns/${ns}`)).toBe(false);
    expect([...(await ipamReservations(dataDir, NETWORK)).values()]).not.toContain(ns);
    expect((await packetFilterRules()).join("\n")).not.toContain(ns);
    expect(await exists(join(dataDir, "sandboxes", "pod-d"))).toBe(false);
    expect(await exists(join(dataDir, "sandboxes", "pod-d.json"))).toBe(false);
    expect(await sandboxes.list()).toEqual(["pod-a", "pod-b"]);
  });

  it("removes a half-made sandbox left by a crash, after the agent restarts", async () => {
    // ADD fails at portmap and the cleanup's DEL fails too: the host keeps a netns, an address and masquerade rules
    const crashing = new SandboxManager({
      prefix: PREFIX,
      dataDir,
      podCIDR: POD_CIDR,
      runner: runnerFailing((cmd, env) => (cmd.endsWith("/portmap") && env?.CNI_COMMAND === "ADD") || (cmd.endsWith("/bridge") && env?.CNI_COMMAND === "DEL")),
    });
    await expect(crashing.ensure(podSpec("pod-e", { portMappings: [{ hostPort: HOST_PORT + 2, containerPort: 80, protocol: "tcp" }] }))).rejects.toThrow(/cleaning up failed too/);
    const ns = netnsName(PREFIX, "pod-e");
    expect(await exists(`/var/run/netns/${ns}`)).toBe(true);
    expect([...(await ipamReservations(dataDir, NETWORK)).values()]).toContain(ns);

    const restarted = new SandboxManager({ prefix: PREFIX, dataDir, podCIDR: POD_CIDR });
    expect(await restarted.list()).toContain("pod-e");
    expect(await restarted.get("pod-e")).toBeUndefined();
    await restarted.remove("pod-e");
    expect(await exists(`/var/run/netns/${ns}`)).toBe(false);
    expect([...(await ipamReservations(dataDir, NETWORK)).values()]).not.toContain(ns);
    expect((await packetFilterRules()).join("\n")).not.toContain(ns);
    expect(await restarted.list()).toEqual(["pod-a", "pod-b"]);
  });

  it("lets a second agent with its own prefix and podCIDR run beside the first", async () => {
    const p = await others.ensure(podSpec("pod-p", { portMappings: [{ hostPort: HOST_PORT + 3, containerPort: 8080, protocol: "tcp" }] }));
    expect(p.ip).toMatch(/^10\.244\.251\.\d+$/);
    expect(others.gatewayIP()).toBe("10.244.251.1");
    expect(await sh("ip", "-4", "-o", "addr", "show", "dev", "fl-ftest2")).toContain(" 10.244.251.1/24 ");
    expect(await others.list()).toEqual(["pod-p"]);
    expect(await sandboxes.list()).toEqual(["pod-a", "pod-b"]);

    await listenInNetns(netnsName(OTHER_PREFIX, "pod-p"), 8080, "hello-from-p");
    expect(await readFromHost("127.0.0.1", HOST_PORT + 3)).toBe("hello-from-p");
    expect(await readFromHost("127.0.0.1", HOST_PORT)).toBe("hello-from-a");
    // pods of the two nodes' networks reach each other through the host
    expect(await readFromNetns(netnsName(PREFIX, "pod-a"), p.ip, 8080)).toBe("hello-from-p");

    await others.removeAll();
    expect(await succeeds("ip", "link", "show", "fl-ftest2")).toBe(false);
    expect(await others.list()).toEqual([]);
    expect(await readFromHost(a.ip, 8080)).toBe("hello-from-a");
  });

  it("removes a sandbox after an agent restart with the hostPort rules it was made with", async () => {
    const restarted = new SandboxManager({ prefix: PREFIX, dataDir, podCIDR: POD_CIDR });
    const ns = netnsName(PREFIX, "pod-a");
    expect(await restarted.get("pod-a")).toEqual({ ...a, created: undefined });
    await restarted.remove("pod-a");

    expect(await exists(a.netnsPath)).toBe(false);
    expect(await exists(a.utsPath)).toBe(false);
    expect(await exists(join(dataDir, "sandboxes", "pod-a"))).toBe(false);
    expect(await exists(join(dataDir, "sandboxes", "pod-a.json"))).toBe(false);
    expect((await ipamReservations(dataDir, NETWORK)).has(a.ip)).toBe(false);
    const rules = (await packetFilterRules()).join("\n");
    expect(rules).not.toContain(ns);
    expect(rules).not.toContain(`${a.ip}:8080`);
    expect(rules).not.toContain(`--dports ${HOST_PORT} `);
    expect(await restarted.get("pod-a")).toBeUndefined();
    await restarted.remove("pod-a"); // again: nothing left to do, and no error
    expect(await restarted.list()).toEqual(["pod-b"]);
    expect(await readFromNetns(netnsName(PREFIX, "pod-b"), sandboxes.gatewayIP(), (hostServer!.address() as { port: number }).port)).toBe("hello-from-host");
  });

  it("removeAll removes every sandbox of its prefix, then the bridge", async () => {
    await sandboxes.removeAll();
    expect(await sandboxes.list()).toEqual([]);
    expect(await succeeds("ip", "link", "show", BRIDGE)).toBe(false);
    expect((await readdir("/var/run/netns").catch(() => [] as string[])).filter((n) => n.startsWith(`${PREFIX}_`) || n.startsWith(`${OTHER_PREFIX}_`))).toEqual([]);
    expect(await exists(join(dataDir, "cni-ipam", NETWORK))).toBe(false);
    const added = (await packetFilterRules()).filter((line) => !baselineRules.includes(line));
    // portmap's shared chains stay (every CNI network on the host uses them), and with them the nat table
    const shared = /CNI-HOSTPORT-|^\*|^COMMIT$|^:[A-Z]+ ACCEPT$/;
    expect(added.filter((line) => !shared.test(line))).toEqual([]);
    expect(added.join("\n")).not.toMatch(/flotilla-ftest|10\.244\.25[01]\./);
    expect(await readdir(join(dataDir, "sandboxes")).catch(() => [] as string[])).toEqual([]);
  });
});
