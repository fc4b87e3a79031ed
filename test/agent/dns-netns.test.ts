import { execFile } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { mkdir, readdir, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClusterDns, type ClusterDns } from "../../agent/dns/cluster-dns";
import { decodeMessage } from "../../agent/dns/dns-decode";
import { encodeMessage } from "../../agent/dns/dns-encode";
import { emptyFlags, RCode, RRClass, RRType, type DnsMessage } from "../../agent/dns/dns-message";
import { staticCatalog, type EndpointEntry, type ServiceEntry } from "../../agent/services/catalog";

// The server on an address that appears only after it started, queried from a real network
// namespace by the resolvers pods use: busybox's nslookup, and glibc (getent) through a
// resolv.conf with the pod search list. Needs root.

const run = promisify(execFile);
const NETNS = "fldns-test";
const HOST_IF = "fldnst0";
const PEER_IF = "fldnst1";
const HOST_IP = "10.250.77.1";
const PEER_IP = "10.250.77.2";
const NETNS_ETC = "/etc/netns";
const RESOLV_DIR = `${NETNS_ETC}/${NETNS}`;

interface Outcome {
  code: number;
  out: string;
}

async function sh(cmd: string, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

async function must(cmd: string, ...args: string[]): Promise<string> {
  const result = await sh(cmd, ...args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${result.out}`);
  return result.out;
}

function inNetns(cmd: string, ...args: string[]): Promise<Outcome> {
  return sh("ip", "netns", "exec", NETNS, cmd, ...args);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function removeTestNetwork(): Promise<void> {
  // deleting the namespace takes the peer, and with it the whole veth pair
  await sh("ip", "netns", "delete", NETNS);
  await sh("ip", "link", "delete", HOST_IF);
  await rm(RESOLV_DIR, { recursive: true, force: true });
}

function service(namespace: string, name: string, extra: Partial<ServiceEntry>): ServiceEntry {
  return {
    namespace,
    name,
    type: "ClusterIP",
    clusterIPs: [],
    headless: false,
    ports: [],
    sessionAffinity: "None",
    affinityTimeoutSeconds: 10800,
    loadBalancerIPs: [],
    externalIPs: [],
    ...extra,
  };
}

function endpoint(ip: string, hostname: string): EndpointEntry {
  return { addresses: [ip], ready: true, serving: true, terminating: false, hostname, ports: [{ name: "pg", port: 5432, protocol: "TCP" }] };
}

const catalog = staticCatalog(
  [
    service("default", "web", { clusterIPs: ["10.96.0.10"], ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }] }),
    service("default", "db", { headless: true, ports: [{ name: "pg", port: 5432, protocol: "TCP", targetPort: 5432 }] }),
    service("kube-system", "kube-dns", { clusterIPs: ["10.96.0.2"], ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 53 }] }),
  ],
  { "default/db": [endpoint("10.244.0.11", "db-0"), endpoint("10.244.0.12", "db-1")] },
);

/** Stands in for the host's resolver: knows one outside name. */
async function startFakeUpstream(): Promise<UdpSocket> {
  const socket = createSocket("udp4");
  socket.on("message", (raw, peer) => {
    let query: DnsMessage;
    try {
      query = decodeMessage(raw);
    } catch {
      return;
    }
    const q = query.questions[0];
    const known = q?.name.toLowerCase() === "outside.example";
    const reply: DnsMessage = {
      id: query.id,
      flags: { ...emptyFlags(), qr: true, rd: query.flags.rd, ra: true, rcode: known ? RCode.NOERROR : RCode.NXDOMAIN },
      questions: query.questions,
      answers: known && q.type === RRType.A ? [{ name: q.name, type: RRType.A, class: RRClass.IN, ttl: 60, data: { kind: "address", address: "192.0.2.55" } }] : [],
      authorities: [],
      additionals: [],
    };
    socket.send(encodeMessage(reply), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("cluster DNS answering a pod's network namespace", () => {
  let dns: ClusterDns | undefined;
  let upstream: UdpSocket | undefined;
  let createdNetnsEtc = false;
  const logs: string[] = [];

  beforeAll(async () => {
    await removeTestNetwork();
    const busy = await must("ss", "-Hlun", `sport = :53`);
    if (busy.includes(`${HOST_IP}:53`) || /\s(0\.0\.0\.0|\*):53\s/.test(busy)) throw new Error(`something already serves DNS here:\n${busy}`);
    await must("ip", "netns", "add", NETNS);
    await must("ip", "-n", NETNS, "link", "set", "lo", "up");
    await must("ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", PEER_IF, "netns", NETNS);
    await must("ip", "-n", NETNS, "addr", "add", `${PEER_IP}/30`, "dev", PEER_IF);
    await must("ip", "-n", NETNS, "link", "set", PEER_IF, "up");
    await must("ip", "link", "set", HOST_IF, "up");
    createdNetnsEtc = !(await exists(NETNS_ETC));
    await mkdir(RESOLV_DIR, { recursive: true });
    await writeFile(`${RESOLV_DIR}/resolv.conf`, `nameserver ${HOST_IP}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
    upstream = await startFakeUpstream();
  });

  afterAll(async () => {
    await dns?.stop();
    upstream?.close();
    await removeTestNetwork();
    if (createdNetnsEtc && (await exists(NETNS_ETC)) && (await readdir(NETNS_ETC)).length === 0) await rmdir(NETNS_ETC);
    expect((await sh("ip", "netns", "list")).out).not.toContain(NETNS);
    expect((await sh("ip", "link", "show", HOST_IF)).code).not.toBe(0);
  });

  it("waits quietly for its address to appear on the node, then listens on port 53", async () => {
    dns = startClusterDns({ catalog, address: HOST_IP, upstreams: [`127.0.0.1:${upstream!.address().port}`], retryBindMs: 100, log: (l) => logs.push(l) });
    await new Promise((r) => setTimeout(r, 500));
    expect(dns.listening).toBe(false);
    expect(logs).toEqual([`cluster DNS: cannot listen on ${HOST_IP}:53: ${HOST_IP} is not on this node yet; retrying every 100 ms`]);

    await must("ip", "addr", "add", `${HOST_IP}/30`, "dev", HOST_IF);
    await until("the server to listen", () => dns!.listening, 5000);
    expect(dns.port).toBe(53);
    expect(logs).toHaveLength(2);
    expect(logs[1]).toContain(`listening on ${HOST_IP}:53`);
    const sockets = (await must("ss", "-Hlun", `sport = :53`)) + (await must("ss", "-Hltn", `sport = :53`));
    expect(sockets.split("\n").filter((l) => l.includes(`${HOST_IP}:53`))).toHaveLength(2);
  });

  it("answers busybox nslookup for a Service's full name", async () => {
    const result = await inNetns("busybox", "nslookup", "web.default.svc.cluster.local", HOST_IP);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/Name:\s+web\.default\.svc\.cluster\.local\s+Address:\s+10\.96\.0\.10\b/);
  });

  it("answers busybox nslookup for a headless Service, its endpoints' hostnames and SRV", async () => {
    const all = await inNetns("busybox", "nslookup", "db.default.svc.cluster.local", HOST_IP);
    expect(all.code, all.out).toBe(0);
    expect(all.out).toContain("Address: 10.244.0.11");
    expect(all.out).toContain("Address: 10.244.0.12");
    const one = await inNetns("busybox", "nslookup", "db-1.db.default.svc.cluster.local", HOST_IP);
    expect(one.out).toContain("Address: 10.244.0.12");
    expect(one.out).not.toContain("10.244.0.11");
    const srv = await inNetns("busybox", "nslookup", "-type=srv", "_pg._tcp.db.default.svc.cluster.local", HOST_IP);
    expect(srv.code, srv.out).toBe(0);
    expect(srv.out).toContain("service = 0 50 5432 db-0.db.default.svc.cluster.local");
    expect(srv.out).toContain("service = 0 50 5432 db-1.db.default.svc.cluster.local");
  });

  it("tells busybox nslookup that a missing Service does not exist", async () => {
    const result = await inNetns("busybox", "nslookup", "nope.default.svc.cluster.local", HOST_IP);
    expect(result.code).not.toBe(0);
    expect(result.out).toContain("can't find nope.default.svc.cluster.local: NXDOMAIN");
  });

  it("answers a reverse lookup of a cluster IP", async () => {
    const result = await inNetns("busybox", "nslookup", "10.96.0.10", HOST_IP);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain("name = web.default.svc.cluster.local");
  });

  it("resolves short names through the pod's search list (glibc, ndots:5)", async () => {
    for (const [name, ip] of [
      ["web", "10.96.0.10"],
      ["web.default", "10.96.0.10"],
      ["kube-dns.kube-system", "10.96.0.2"],
      ["db-0.db", "10.244.0.11"],
    ]) {
      const result = await inNetns("getent", "ahostsv4", name);
      expect([name, result.code]).toEqual([name, 0]);
      expect(result.out.split("\n")[0]).toMatch(new RegExp(`^${ip.replaceAll(".", "\\.")}\\s`));
    }
    expect((await inNetns("getent", "ahostsv4", "nope")).code).not.toBe(0);
  });

  it("relays names outside the cluster to the upstream resolver", async () => {
    const result = await inNetns("getent", "ahostsv4", "outside.example");
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/^192\.0\.2\.55\s/);
  });

  it("answers again once its address was removed and added back", async () => {
    await must("ip", "addr", "del", `${HOST_IP}/30`, "dev", HOST_IF);
    expect((await inNetns("busybox", "nslookup", "web.default.svc.cluster.local", HOST_IP)).code).not.toBe(0);
    await must("ip", "addr", "add", `${HOST_IP}/30`, "dev", HOST_IF);
    const result = await inNetns("busybox", "nslookup", "web.default.svc.cluster.local", HOST_IP);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain("Address: 10.96.0.10");
    expect(dns!.listening).toBe(true);
  });
});
