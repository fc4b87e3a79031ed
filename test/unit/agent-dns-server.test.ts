import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClusterDns, type ClusterDns } from "../../agent/dns/cluster-dns";
import type { DnsCatalog, DnsEndpoint, DnsService } from "../../agent/dns/dns-catalog";
import { decodeMessage } from "../../agent/dns/dns-decode";
import { encodeMessage } from "../../agent/dns/dns-encode";
import { emptyFlags, RCode, RRClass, RRType, type DnsMessage, type DnsRecord } from "../../agent/dns/dns-message";
import { serverOpt } from "../../agent/dns/edns";
import { zoneLabels } from "../../agent/dns/cluster-query";
import { DnsResponder } from "../../agent/dns/dns-responder";
import { UpstreamForwarder } from "../../agent/dns/forwarder";
import { staticCatalog, type ServiceEntry } from "../../agent/services/catalog";
import { frameMessage, TcpFrameReader } from "../../agent/dns/tcp-framing";

// Real UDP and TCP queries against the server on 127.0.0.1, answered from an in-memory catalog,
// with in-process fake upstream resolvers for everything outside the cluster.

class FakeCatalog implements DnsCatalog {
  synced = true;
  readonly list: DnsService[] = [];
  readonly eps = new Map<string, DnsEndpoint[]>();
  services(): DnsService[] {
    return this.list;
  }
  service(namespace: string, name: string): DnsService | undefined {
    return this.list.find((s) => s.namespace === namespace && s.name === name);
  }
  endpoints(namespace: string, name: string): DnsEndpoint[] {
    return this.eps.get(`${namespace}/${name}`) ?? [];
  }
}

function service(namespace: string, name: string, extra: Partial<DnsService> = {}): DnsService {
  return { namespace, name, type: "ClusterIP", clusterIPs: [], headless: false, ports: [], ...extra };
}

const catalog = new FakeCatalog();
catalog.list.push(
  service("default", "web", { clusterIPs: ["10.96.0.10"], ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }] }),
  service("default", "dual", { clusterIPs: ["10.96.0.11", "fd00:96::11"], ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
  service("default", "db", { headless: true, ports: [{ name: "pg", port: 5432, protocol: "TCP" }] }),
  service("default", "empty", { headless: true, ports: [{ name: "pg", port: 5432, protocol: "TCP" }] }),
  service("default", "portless", { headless: true }),
  service("default", "many", { headless: true }),
  service("default", "ext", { type: "ExternalName", externalName: "alias-target.example.net" }),
  service("default", "inner", { type: "ExternalName", externalName: "web.default.svc.cluster.local." }),
  service("default", "ipname", { type: "ExternalName", externalName: "192.0.2.9" }),
  service("kube-system", "kube-dns", { clusterIPs: ["10.96.0.2"], ports: [{ name: "dns", port: 53, protocol: "UDP" }] }),
);
catalog.eps.set("default/db", [
  { addresses: ["10.244.0.11"], ready: true, hostname: "db-0", ports: [{ name: "pg", port: 5432, protocol: "TCP" }] },
  { addresses: ["10.244.0.12"], ready: true, ports: [{ name: "pg", port: 5432, protocol: "TCP" }] },
  { addresses: ["10.244.0.13"], ready: false, hostname: "db-2", ports: [{ name: "pg", port: 5432, protocol: "TCP" }] },
]);
catalog.eps.set("default/empty", [{ addresses: ["10.244.0.20"], ready: false, ports: [{ name: "pg", port: 5432, protocol: "TCP" }] }]);
catalog.eps.set("default/portless", [{ addresses: ["10.244.0.30"], ready: true, ports: [] }]);
catalog.eps.set(
  "default/many",
  Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.244.1.${i + 1}`], ready: true, ports: [] })),
);

/** A resolver standing in for the host's: answers a few names over UDP and TCP and records what it was asked. */
class FakeUpstream {
  readonly asked: DnsMessage[] = [];
  udp!: UdpSocket;
  tcp!: Server;
  port = 0;

  async start(): Promise<void> {
    this.udp = createSocket("udp4");
    this.udp.on("message", (msg, peer) => {
      const reply = this.answer(decodeMessage(msg), "udp");
      this.udp.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => this.udp.bind(0, "127.0.0.1", resolve));
    this.port = this.udp.address().port;
    this.tcp = createServer((socket) => {
      const frames = new TcpFrameReader((msg) => socket.write(frameMessage(this.answer(decodeMessage(msg), "tcp"))));
      socket.on("data", (chunk) => frames.push(chunk));
    });
    await new Promise<void>((resolve) => this.tcp.listen(this.port, "127.0.0.1", resolve));
  }

  private answer(query: DnsMessage, transport: "udp" | "tcp"): Uint8Array {
    this.asked.push(query);
    const q = query.questions[0];
    const name = q.name.toLowerCase();
    const reply: DnsMessage = { id: query.id, flags: { ...emptyFlags(), qr: true, rd: query.flags.rd, ra: true }, questions: [q], answers: [], authorities: [], additionals: [] };
    const a = (address: string): DnsRecord => ({ name: q.name, type: RRType.A, class: RRClass.IN, ttl: 300, data: { kind: "address", address } });
    if (name === "example.com" && q.type === RRType.A) reply.answers.push(a("93.184.216.34"));
    else if (name === "alias-target.example.net" && q.type === RRType.A) reply.answers.push(a("198.51.100.7"));
    else if (name === "big.example.com" && transport === "udp") reply.flags.tc = true;
    else if (name === "big.example.com") for (let i = 1; i <= 80; i++) reply.answers.push(a(`203.0.113.${i}`));
    else reply.flags.rcode = RCode.NXDOMAIN;
    return encodeMessage(reply);
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }
}

let nextId = 100;

function query(name: string, type: number, extra: Partial<DnsMessage> = {}): DnsMessage {
  return { id: nextId++, flags: { ...emptyFlags(), rd: true }, questions: [{ name, type, class: RRClass.IN }], answers: [], authorities: [], additionals: [], ...extra };
}

/** Sends raw bytes over UDP and returns the raw reply, or undefined after `waitMs`. */
function exchangeUdp(port: number, packet: Uint8Array, waitMs = 3000): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const done = (reply: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    socket.on("message", (msg) => done(new Uint8Array(msg)));
    socket.send(packet, port, "127.0.0.1");
  });
}

async function askUdp(port: number, msg: DnsMessage): Promise<DnsMessage> {
  const reply = await exchangeUdp(port, encodeMessage(msg));
  if (!reply) throw new Error(`no UDP answer for ${msg.questions[0]?.name}`);
  const decoded = decodeMessage(reply);
  expect(decoded.id).toBe(msg.id);
  return decoded;
}

function askTcp(port: number, msg: DnsMessage): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error("no TCP answer"));
    });
    const frames = new TcpFrameReader((reply) => {
      socket.end();
      resolve(decodeMessage(reply));
    });
    socket.on("data", (chunk) => frames.push(chunk));
    socket.on("error", reject);
    socket.write(frameMessage(encodeMessage(msg)));
  });
}

async function waitListening(dns: ClusterDns): Promise<number> {
  for (let i = 0; i < 200 && !dns.listening; i++) await new Promise((r) => setTimeout(r, 10));
  if (!dns.listening || dns.port === undefined) throw new Error("the DNS server did not start listening");
  return dns.port;
}

function addresses(records: DnsRecord[]): string[] {
  return records.map((r) => (r.data.kind === "address" ? r.data.address : `<${r.data.kind}>`));
}

describe("cluster DNS over real sockets", () => {
  const upstream = new FakeUpstream();
  let dns: ClusterDns;
  let port: number;
  const logs: string[] = [];
  const servers: ClusterDns[] = [];

  beforeAll(async () => {
    await upstream.start();
    dns = startClusterDns({ catalog, address: "127.0.0.1", port: 0, upstreams: [`127.0.0.1:${upstream.port}`], log: (l) => logs.push(l) });
    servers.push(dns);
    port = await waitListening(dns);
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await upstream.stop();
  });

  it("answers a ClusterIP Service's A record with its cluster IP, authoritatively, for 5 seconds", async () => {
    const reply = await askUdp(port, query("web.default.svc.cluster.local", RRType.A));
    expect(reply.flags).toMatchObject({ qr: true, aa: true, rd: true, rcode: RCode.NOERROR, tc: false });
    expect(reply.questions).toEqual([{ name: "web.default.svc.cluster.local", type: RRType.A, class: RRClass.IN }]);
    expect(reply.answers).toEqual([{ name: "web.default.svc.cluster.local", type: RRType.A, class: RRClass.IN, ttl: 5, data: { kind: "address", address: "10.96.0.10" } }]);
    expect(reply.authorities).toEqual([]);
    expect(logs.some((l) => l.includes("listening on 127.0.0.1:"))).toBe(true);
  });

  it("matches names case-insensitively and answers with the spelling asked", async () => {
    const reply = await askUdp(port, query("WEB.Default.SVC.cluster.LOCAL", RRType.A));
    expect(reply.answers.map((r) => r.name)).toEqual(["WEB.Default.SVC.cluster.LOCAL"]);
    expect(addresses(reply.answers)).toEqual(["10.96.0.10"]);
  });

  it("gives AAAA the IPv6 cluster IP of a dual-stack Service, and no data for an IPv4-only one", async () => {
    expect(addresses((await askUdp(port, query("dual.default.svc.cluster.local", RRType.AAAA))).answers)).toEqual(["fd00:96::11"]);
    expect(addresses((await askUdp(port, query("dual.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.0.11"]);
    const none = await askUdp(port, query("web.default.svc.cluster.local", RRType.AAAA));
    expect(none.flags.rcode).toBe(RCode.NOERROR);
    expect(none.answers).toEqual([]);
    expect(none.authorities.map((r) => [r.name, r.type])).toEqual([["cluster.local", RRType.SOA]]);
  });

  it("answers NXDOMAIN with the zone's SOA for names that do not exist", async () => {
    for (const name of ["nope.default.svc.cluster.local", "web.other.svc.cluster.local", "foo.cluster.local", "a.b.c.d.e.svc.cluster.local"]) {
      const reply = await askUdp(port, query(name, RRType.A));
      expect(reply.flags.rcode, name).toBe(RCode.NXDOMAIN);
      expect(reply.flags.aa).toBe(true);
      expect(reply.answers).toEqual([]);
      expect(reply.authorities).toEqual([
        {
          name: "cluster.local",
          type: RRType.SOA,
          class: RRClass.IN,
          ttl: 5,
          data: { kind: "soa", mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
        },
      ]);
    }
  });

  it("answers a headless Service with its ready endpoints only, and NXDOMAIN when none is ready", async () => {
    expect(addresses((await askUdp(port, query("db.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.244.0.11", "10.244.0.12"]);
    expect((await askUdp(port, query("empty.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
    expect(addresses((await askUdp(port, query("portless.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.244.0.30"]);
  });

  it("names endpoints by hostname or dashed address, never a not-ready one", async () => {
    expect(addresses((await askUdp(port, query("db-0.db.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.244.0.11"]);
    expect(addresses((await askUdp(port, query("10-244-0-12.db.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.244.0.12"]);
    expect((await askUdp(port, query("db-2.db.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
    expect((await askUdp(port, query("db-9.db.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("answers SRV for a ClusterIP Service's named port with the Service as target", async () => {
    const reply = await askUdp(port, query("_http._tcp.web.default.svc.cluster.local", RRType.SRV));
    expect(reply.answers).toEqual([
      {
        name: "_http._tcp.web.default.svc.cluster.local",
        type: RRType.SRV,
        class: RRClass.IN,
        ttl: 5,
        data: { kind: "srv", priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" },
      },
    ]);
    expect(reply.additionals.map((r) => [r.name, addresses([r])[0]])).toEqual([["web.default.svc.cluster.local", "10.96.0.10"]]);
    const udp = await askUdp(port, query("_dns._udp.web.default.svc.cluster.local", RRType.SRV));
    expect(udp.answers.map((r) => (r.data.kind === "srv" ? r.data.port : 0))).toEqual([53]);
    expect((await askUdp(port, query("_http._udp.web.default.svc.cluster.local", RRType.SRV))).flags.rcode).toBe(RCode.NXDOMAIN);
    expect((await askUdp(port, query("_nope._tcp.web.default.svc.cluster.local", RRType.SRV))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("answers SRV for a headless Service with one target per ready endpoint", async () => {
    const reply = await askUdp(port, query("_pg._tcp.db.default.svc.cluster.local", RRType.SRV));
    expect(reply.answers.map((r) => r.data)).toEqual([
      { kind: "srv", priority: 0, weight: 50, port: 5432, target: "db-0.db.default.svc.cluster.local" },
      { kind: "srv", priority: 0, weight: 50, port: 5432, target: "10-244-0-12.db.default.svc.cluster.local" },
    ]);
    expect(reply.additionals.map((r) => [r.name, addresses([r])[0]])).toEqual([
      ["db-0.db.default.svc.cluster.local", "10.244.0.11"],
      ["10-244-0-12.db.default.svc.cluster.local", "10.244.0.12"],
    ]);
  });

  it("answers an ExternalName Service with a CNAME, and resolves the target through the upstreams", async () => {
    const cname = await askUdp(port, query("ext.default.svc.cluster.local", RRType.CNAME));
    expect(cname.answers).toEqual([{ name: "ext.default.svc.cluster.local", type: RRType.CNAME, class: RRClass.IN, ttl: 5, data: { kind: "name", name: "alias-target.example.net" } }]);
    const a = await askUdp(port, query("ext.default.svc.cluster.local", RRType.A));
    expect(a.flags.rcode).toBe(RCode.NOERROR);
    expect(a.answers.map((r) => [r.name, r.type])).toEqual([
      ["ext.default.svc.cluster.local", RRType.CNAME],
      ["alias-target.example.net", RRType.A],
    ]);
    expect(addresses(a.answers.slice(1))).toEqual(["198.51.100.7"]);
  });

  it("follows an ExternalName that points back into the cluster without asking upstream", async () => {
    const before = upstream.asked.length;
    const a = await askUdp(port, query("inner.default.svc.cluster.local", RRType.A));
    expect(a.answers.map((r) => [r.name, r.type])).toEqual([
      ["inner.default.svc.cluster.local", RRType.CNAME],
      ["web.default.svc.cluster.local", RRType.A],
    ]);
    expect(upstream.asked.length).toBe(before);
    expect((await askUdp(port, query("ipname.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("answers pod names from the dashed address", async () => {
    const reply = await askUdp(port, query("10-244-1-7.default.pod.cluster.local", RRType.A));
    expect(reply.answers.map((r) => [r.name, addresses([r])[0]])).toEqual([["10-244-1-7.default.pod.cluster.local", "10.244.1.7"]]);
    expect((await askUdp(port, query("10-244-1-7.default.pod.cluster.local", RRType.AAAA))).answers).toEqual([]);
    expect((await askUdp(port, query("web.default.pod.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("treats the zone, svc and a namespace with Services as existing names without addresses", async () => {
    for (const name of ["cluster.local", "svc.cluster.local", "default.svc.cluster.local", "kube-system.svc.cluster.local"]) {
      const reply = await askUdp(port, query(name, RRType.A));
      expect([name, reply.flags.rcode, reply.answers.length, reply.authorities.length]).toEqual([name, RCode.NOERROR, 0, 1]);
    }
    expect((await askUdp(port, query("ghost.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("answers SOA and NS at the zone apex and its own address for ns.dns", async () => {
    const soa = await askUdp(port, query("cluster.local", RRType.SOA));
    expect(soa.answers.map((r) => r.type)).toEqual([RRType.SOA]);
    const ns = await askUdp(port, query("cluster.local", RRType.NS));
    expect(ns.answers.map((r) => r.data)).toEqual([{ kind: "name", name: "ns.dns.cluster.local" }]);
    expect(addresses(ns.additionals)).toEqual(["127.0.0.1"]);
    expect(addresses((await askUdp(port, query("ns.dns.cluster.local", RRType.A))).answers)).toEqual(["127.0.0.1"]);
  });

  it("answers other record types for existing names with no data", async () => {
    for (const type of [RRType.MX, RRType.TXT, RRType.ANY]) {
      const reply = await askUdp(port, query("web.default.svc.cluster.local", type));
      expect([type, reply.flags.rcode, reply.answers.length]).toEqual([type, RCode.NOERROR, 0]);
    }
  });

  it("answers reverse lookups of cluster IPs and endpoint addresses, and forwards the rest", async () => {
    const svc = await askUdp(port, query("10.0.96.10.in-addr.arpa", RRType.PTR));
    expect(svc.answers.map((r) => r.data)).toEqual([{ kind: "name", name: "web.default.svc.cluster.local" }]);
    const ep = await askUdp(port, query("11.0.244.10.in-addr.arpa", RRType.PTR));
    expect(ep.answers.map((r) => r.data)).toEqual([{ kind: "name", name: "db-0.db.default.svc.cluster.local" }]);
    const before = upstream.asked.length;
    const other = await askUdp(port, query("1.2.0.192.in-addr.arpa", RRType.PTR));
    expect(other.flags.rcode).toBe(RCode.NXDOMAIN);
    expect(upstream.asked.length).toBe(before + 1);
  });

  it("relays other names to the upstream with a fresh ID and hands back its answer", async () => {
    const q = query("example.com", RRType.A);
    const reply = await askUdp(port, q);
    expect(reply.flags.aa).toBe(false);
    expect(addresses(reply.answers)).toEqual(["93.184.216.34"]);
    const seen = upstream.asked.at(-1)!;
    expect(seen.questions[0].name).toBe("example.com");
    expect((await askUdp(port, query("nothing.example.org", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
  });

  it("reflects catalog changes in the next answer", async () => {
    expect((await askUdp(port, query("late.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
    catalog.list.push(service("default", "late", { clusterIPs: ["10.96.0.99"], ports: [{ port: 80, protocol: "TCP" }] }));
    try {
      expect(addresses((await askUdp(port, query("late.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.0.99"]);
    } finally {
      catalog.list.pop();
    }
  });

  it("answers SERVFAIL for cluster names until the catalog has synced", async () => {
    catalog.synced = false;
    try {
      expect((await askUdp(port, query("web.default.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.SERVFAIL);
    } finally {
      catalog.synced = true;
    }
  });

  it("truncates a large UDP answer to 512 bytes, or to the EDNS0 size, and gives it whole over TCP", async () => {
    const plain = await exchangeUdp(port, encodeMessage(query("many.default.svc.cluster.local", RRType.A)));
    expect(plain!.length).toBeLessThanOrEqual(512);
    const cut = decodeMessage(plain!);
    expect(cut.flags.tc).toBe(true);
    expect(cut.answers.length).toBeLessThan(100);
    const edns = await exchangeUdp(port, encodeMessage(query("many.default.svc.cluster.local", RRType.A, { additionals: [{ ...serverOpt(0), class: 4096 }] })));
    const big = decodeMessage(edns!);
    expect(big.flags.tc).toBe(false);
    expect(big.answers).toHaveLength(100);
    expect(big.additionals.map((r) => [r.type, r.class])).toEqual([[RRType.OPT, 1232]]);
    const tcp = await askTcp(port, query("many.default.svc.cluster.local", RRType.A));
    expect(tcp.flags.tc).toBe(false);
    expect(addresses(tcp.answers)).toEqual(Array.from({ length: 100 }, (_, i) => `10.244.1.${i + 1}`));
  });

  it("asks the upstream again over TCP when its UDP answer was truncated and the client came over TCP", async () => {
    const udp = await askUdp(port, query("big.example.com", RRType.A));
    expect(udp.flags.tc).toBe(true);
    const tcp = await askTcp(port, query("big.example.com", RRType.A));
    expect(tcp.flags.tc).toBe(false);
    expect(tcp.answers).toHaveLength(80);
  });

  it("answers BADVERS to an EDNS version it does not speak", async () => {
    const reply = await askUdp(port, query("web.default.svc.cluster.local", RRType.A, { additionals: [{ ...serverOpt(0), ttl: 0x00010000 }] }));
    const opt = reply.additionals.find((r) => r.type === RRType.OPT)!;
    expect(((opt.ttl >>> 24) << 4) | reply.flags.rcode).toBe(RCode.BADVERS);
    expect(reply.answers).toEqual([]);
  });

  it("survives garbage: drops what is not a query, answers FORMERR or NOTIMP where it can", async () => {
    expect(await exchangeUdp(port, Uint8Array.from([1, 2, 3]), 300)).toBeUndefined();
    const response = encodeMessage({ ...query("web.default.svc.cluster.local", RRType.A), flags: { ...emptyFlags(), qr: true } });
    expect(await exchangeUdp(port, response, 300)).toBeUndefined();
    const garbled = Buffer.concat([Buffer.from("abcd0100000100000000000", "hex"), Buffer.from([0x3f, 1, 2])]);
    const formerr = decodeMessage((await exchangeUdp(port, garbled))!);
    expect([formerr.id, formerr.flags.qr, formerr.flags.rcode]).toEqual([0xabcd, true, RCode.FORMERR]);
    const two = query("web.default.svc.cluster.local", RRType.A);
    two.questions.push({ name: "db.default.svc.cluster.local", type: RRType.A, class: RRClass.IN });
    expect((await askUdp(port, two)).flags.rcode).toBe(RCode.FORMERR);
    const status = query("web.default.svc.cluster.local", RRType.A);
    status.flags.opcode = 2;
    expect((await askUdp(port, status)).flags.rcode).toBe(RCode.NOTIMP);
    const junkSender = createSocket("udp4");
    let seed = 7;
    for (let i = 0; i < 300; i++) {
      const junk = Uint8Array.from({ length: 1 + (i % 90) }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24));
      await new Promise<void>((resolve) => junkSender.send(junk, port, "127.0.0.1", () => resolve()));
      // sender and server share one event loop here: pause so the server's receive buffer drains
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    junkSender.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(addresses((await askUdp(port, query("web.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.0.10"]);
    expect(logs.filter((l) => l.includes("failed"))).toEqual([]);
  });

  it("moves on to the next upstream when one stays silent", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const other = startClusterDns({
      catalog,
      address: "127.0.0.1",
      port: 0,
      upstreams: [`127.0.0.1:${silent.address().port}`, `127.0.0.1:${upstream.port}`],
      upstreamTimeoutMs: 300,
    });
    servers.push(other);
    try {
      const otherPort = await waitListening(other);
      const started = performance.now();
      const reply = await askUdp(otherPort, query("example.com", RRType.A));
      expect(addresses(reply.answers)).toEqual(["93.184.216.34"]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      silent.close();
    }
  });

  it("answers SERVFAIL at once without upstreams, and after the timeouts when none answers", async () => {
    const lonely = startClusterDns({ catalog, address: "127.0.0.1", port: 0, upstreams: [] });
    servers.push(lonely);
    const lonelyPort = await waitListening(lonely);
    let started = performance.now();
    expect((await askUdp(lonelyPort, query("example.com", RRType.A))).flags.rcode).toBe(RCode.SERVFAIL);
    expect(performance.now() - started).toBeLessThan(200);
    expect(addresses((await askUdp(lonelyPort, query("web.default.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.0.10"]);

    const silent = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const stuck = startClusterDns({ catalog, address: "127.0.0.1", port: 0, upstreams: [`127.0.0.1:${silent.address().port}`], upstreamTimeoutMs: 200 });
    servers.push(stuck);
    try {
      const stuckPort = await waitListening(stuck);
      started = performance.now();
      expect((await askUdp(stuckPort, query("example.com", RRType.A))).flags.rcode).toBe(RCode.SERVFAIL);
      expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      silent.close();
    }
  });
});

describe("binding to an address that is not there yet", () => {
  it("keeps retrying quietly, logs once, and stops cleanly", async () => {
    const logs: string[] = [];
    // TEST-NET-2: not assigned to any interface here
    const dns = startClusterDns({ catalog, address: "198.51.100.77", port: 0, upstreams: [], retryBindMs: 20, log: (l) => logs.push(l) });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(dns.listening).toBe(false);
      expect(dns.port).toBeUndefined();
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain("198.51.100.77 is not on this node yet");
    } finally {
      await dns.stop();
    }
    expect(dns.listening).toBe(false);
  });
});

describe("answering hostile packets", () => {
  it("never throws, and every reply decodes and carries the query's ID", async () => {
    const responder = new DnsResponder({
      catalog,
      zone: "cluster.local",
      zoneLabels: zoneLabels("cluster.local"),
      serverAddress: "10.244.0.1",
      forwarder: new UpstreamForwarder({ upstreams: [] }),
    });
    let seed = 424242;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
    const seeds = [
      "web.default.svc.cluster.local",
      "_pg._tcp.db.default.svc.cluster.local",
      "ext.default.svc.cluster.local",
      "10-244-1-7.default.pod.cluster.local",
      "10.0.96.10.in-addr.arpa",
      "many.default.svc.cluster.local",
    ].map((name, i) => encodeMessage(query(name, [RRType.A, RRType.SRV, RRType.A, RRType.AAAA, RRType.PTR, RRType.ANY][i], { additionals: i % 2 ? [serverOpt(0)] : [] })));
    let answered = 0;
    for (let i = 0; i < 5000; i++) {
      let packet: Uint8Array;
      if (i % 4 === 0) {
        packet = Uint8Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256));
      } else {
        packet = Uint8Array.from(seeds[i % seeds.length]);
        for (let f = 0; f < 1 + Math.floor(next() * 4); f++) packet[2 + Math.floor(next() * (packet.length - 2))] = Math.floor(next() * 256);
      }
      const reply = await responder.respond(packet, i % 3 === 0 ? "tcp" : "udp");
      if (!reply) continue;
      answered++;
      const decoded = decodeMessage(reply);
      expect(decoded.id).toBe((packet[0] << 8) | packet[1]);
      expect(decoded.flags.qr).toBe(true);
      if (i % 3 !== 0) expect(reply.length).toBeLessThanOrEqual(4096);
    }
    expect(answered).toBeGreaterThan(1000);
  });
});

describe("serving from the agent's Service catalog", () => {
  it("answers from the catalog as it changes", async () => {
    const entry = (clusterIP: string): ServiceEntry => ({
      namespace: "shop",
      name: "cart",
      type: "ClusterIP",
      clusterIPs: [clusterIP],
      headless: false,
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
      sessionAffinity: "None",
      affinityTimeoutSeconds: 10800,
      loadBalancerIPs: [],
      externalIPs: [],
    });
    const live = staticCatalog([entry("10.96.5.5")], {});
    const dns = startClusterDns({ catalog: live, address: "127.0.0.1", port: 0, upstreams: [] });
    try {
      const port = await waitListening(dns);
      expect(addresses((await askUdp(port, query("cart.shop.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.5.5"]);
      live.set({ services: [entry("10.96.5.6")] });
      expect(addresses((await askUdp(port, query("cart.shop.svc.cluster.local", RRType.A))).answers)).toEqual(["10.96.5.6"]);
      live.set({ services: [] });
      expect((await askUdp(port, query("cart.shop.svc.cluster.local", RRType.A))).flags.rcode).toBe(RCode.NXDOMAIN);
    } finally {
      await dns.stop();
    }
  });
});
