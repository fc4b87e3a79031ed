import { describe, expect, it } from "vitest";
import { decodeHeader, decodeMessage, DnsFormatError } from "../../agent/dns/dns-decode";
import { encodeMessage } from "../../agent/dns/dns-encode";
import { emptyFlags, RCode, RRClass, RRType, type DnsMessage, type DnsRecord } from "../../agent/dns/dns-message";
import { DnsNameError, labelsToName, nameToLabels } from "../../agent/dns/dns-names";
import { readEdns, serverOpt } from "../../agent/dns/edns";
import { ipv4ToBytes, ipv6ToBytes, ipv6ToText } from "../../agent/dns/ip-text";
import { frameMessage, TcpFrameReader } from "../../agent/dns/tcp-framing";

function message(parts: Partial<DnsMessage> = {}): DnsMessage {
  return { id: 0x1234, flags: emptyFlags(), questions: [], answers: [], authorities: [], additionals: [], ...parts };
}

function rr(name: string, type: number, data: DnsRecord["data"], ttl = 5): DnsRecord {
  return { name, type, class: RRClass.IN, ttl, data };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** A deterministic pseudo-random source, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("DNS wire encoding", () => {
  it("writes a query exactly as RFC 1035 lays it out", () => {
    const bytes = encodeMessage(message({ id: 0xbeef, flags: { ...emptyFlags(), rd: true }, questions: [{ name: "web.default", type: RRType.A, class: RRClass.IN }] }));
    expect(hex(bytes)).toBe(
      "beef" + "0100" + "0001" + "0000" + "0000" + "0000" + "03776562" + "0764656661756c74" + "00" + "0001" + "0001",
    );
  });

  it("reads a hand-made response with a compressed answer name", () => {
    const wire = Buffer.from(
      "abcd" + "8580" + "0001" + "0001" + "0000" + "0000" + "03777777" + "076578616d706c65" + "00" + "0001" + "0001" +
        "c00c" + "0001" + "0001" + "0000012c" + "0004" + "c0000201",
      "hex",
    );
    const msg = decodeMessage(wire);
    expect(msg.id).toBe(0xabcd);
    expect(msg.flags).toMatchObject({ qr: true, aa: true, rd: true, ra: true, tc: false, rcode: RCode.NOERROR });
    expect(msg.questions).toEqual([{ name: "www.example", type: RRType.A, class: RRClass.IN }]);
    expect(msg.answers).toEqual([rr("www.example", RRType.A, { kind: "address", address: "192.0.2.1" }, 300)]);
  });

  it("round-trips every record kind, compressing repeated names", () => {
    const msg = message({
      flags: { ...emptyFlags(), qr: true, aa: true, rcode: RCode.NXDOMAIN },
      questions: [{ name: "_http._tcp.web.default.svc.cluster.local", type: RRType.SRV, class: RRClass.IN }],
      answers: [
        rr("web.default.svc.cluster.local", RRType.A, { kind: "address", address: "10.96.0.10" }),
        rr("web.default.svc.cluster.local", RRType.AAAA, { kind: "address", address: "fd00:10:96::a" }),
        rr("ext.default.svc.cluster.local", RRType.CNAME, { kind: "name", name: "example.com" }),
        rr("_http._tcp.web.default.svc.cluster.local", RRType.SRV, { kind: "srv", priority: 0, weight: 50, port: 8080, target: "web.default.svc.cluster.local" }),
        rr("example.com", RRType.MX, { kind: "mx", preference: 10, exchange: "mail.example.com" }),
        rr("5.0.96.10.in-addr.arpa", RRType.PTR, { kind: "name", name: "web.default.svc.cluster.local" }),
        rr("example.com", RRType.TXT, { kind: "raw", bytes: Uint8Array.from([5, 104, 101, 108, 108, 111]) }),
      ],
      authorities: [
        rr("cluster.local", RRType.SOA, {
          kind: "soa",
          mname: "ns.dns.cluster.local",
          rname: "hostmaster.cluster.local",
          serial: 4294967295,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 5,
        }),
        rr("cluster.local", RRType.NS, { kind: "name", name: "ns.dns.cluster.local" }),
      ],
      additionals: [serverOpt(0)],
    });
    const bytes = encodeMessage(msg);
    expect(decodeMessage(bytes)).toEqual(msg);
    // "cluster.local" is spelt out in the question and in the SRV target (which must not be
    // compressed); every other mention is a two-byte pointer
    expect(Buffer.from(bytes).toString("latin1").split("cluster").length - 1).toBe(2);
  });

  it("never compresses an SRV target (RFC 2782) but still decodes it", () => {
    const msg = message({
      answers: [rr("web.svc", RRType.SRV, { kind: "srv", priority: 1, weight: 2, port: 3, target: "web.svc" })],
    });
    const bytes = encodeMessage(msg);
    expect(Buffer.from(bytes).toString("latin1").split("web").length - 1).toBe(2);
    expect(decodeMessage(bytes)).toEqual(msg);
  });

  it("keeps the case of every name even when compressing", () => {
    const msg = message({
      questions: [{ name: "WeB.Default.SVC.cluster.local", type: RRType.A, class: RRClass.IN }],
      answers: [rr("web.default.svc.cluster.local", RRType.A, { kind: "address", address: "10.0.0.1" })],
    });
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it("escapes dots, backslashes and unprintable bytes inside labels", () => {
    const labels = [Uint8Array.from([0x61, 0x2e, 0x62]), Uint8Array.from([0x5c, 0x00, 0x20, 0xff])];
    const name = labelsToName(labels);
    expect(name).toBe("a\\.b.\\\\\\000\\032\\255");
    expect(nameToLabels(name)).toEqual(labels);
    const msg = message({ questions: [{ name, type: RRType.A, class: RRClass.IN }] });
    expect(decodeMessage(encodeMessage(msg)).questions[0].name).toBe(name);
  });

  it("refuses names the wire cannot carry", () => {
    expect(() => nameToLabels("a..b")).toThrow(DnsNameError);
    expect(() => nameToLabels(`${"x".repeat(64)}.com`)).toThrow(/63 bytes/);
    expect(() => nameToLabels(Array(130).fill("ab").join("."))).toThrow(/255 bytes/);
    expect(nameToLabels("example.com.")).toEqual(nameToLabels("example.com"));
    expect(nameToLabels(".")).toEqual([]);
  });

  it("cuts an oversized UDP answer to whole records, sets TC and keeps the OPT record", () => {
    const answers = Array.from({ length: 60 }, (_, i) => rr("many.default.svc.cluster.local", RRType.A, { kind: "address", address: `10.1.0.${i}` }));
    const msg = message({ flags: { ...emptyFlags(), qr: true }, questions: [{ name: "many.default.svc.cluster.local", type: RRType.A, class: RRClass.IN }], answers, additionals: [serverOpt(0)] });
    const bytes = encodeMessage(msg, { maxBytes: 512 });
    expect(bytes.length).toBeLessThanOrEqual(512);
    const cut = decodeMessage(bytes);
    expect(cut.flags.tc).toBe(true);
    expect(cut.answers.length).toBeGreaterThan(10);
    expect(cut.answers.length).toBeLessThan(60);
    expect(cut.answers).toEqual(answers.slice(0, cut.answers.length));
    expect(cut.additionals.map((r) => r.type)).toEqual([RRType.OPT]);
    const whole = decodeMessage(encodeMessage(msg, { maxBytes: 65535 }));
    expect(whole.flags.tc).toBe(false);
    expect(whole.answers).toHaveLength(60);
  });

  it("drops extra records without setting TC when the answers fit", () => {
    const extras = Array.from({ length: 40 }, (_, i) => rr(`pod-${i}.web.default.svc.cluster.local`, RRType.A, { kind: "address", address: `10.1.0.${i}` }));
    const msg = message({ flags: { ...emptyFlags(), qr: true }, answers: [rr("a.b", RRType.A, { kind: "address", address: "10.0.0.1" })], additionals: extras });
    const cut = decodeMessage(encodeMessage(msg, { maxBytes: 512 }));
    expect(cut.flags.tc).toBe(false);
    expect(cut.answers).toHaveLength(1);
    expect(cut.additionals.length).toBeLessThan(40);
  });

  it("reads the client's EDNS0 size and version, and writes the server's", () => {
    const opt: DnsRecord = { name: "", type: RRType.OPT, class: 4096, ttl: 0x00018000, data: { kind: "raw", bytes: Uint8Array.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]) } };
    const decoded = decodeMessage(encodeMessage(message({ additionals: [opt] })));
    expect(readEdns(decoded)).toEqual({ udpBytes: 4096, version: 1, dnssecOk: true });
    expect(readEdns(message())).toBeUndefined();
    expect(readEdns(message({ additionals: [opt, opt] }))).toBe("invalid");
    expect(serverOpt(RCode.BADVERS).ttl >>> 24).toBe(1);
  });
});

describe("DNS wire decoding of hostile input", () => {
  it("rejects a compression pointer loop", () => {
    const wire = Buffer.from("0000" + "0000" + "0001" + "0000" + "0000" + "0000" + "c00c" + "0001" + "0001", "hex");
    expect(() => decodeMessage(wire)).toThrow(DnsFormatError);
    const forward = Buffer.from("0000" + "0000" + "0001" + "0000" + "0000" + "0000" + "c00e" + "0001" + "0001" + "00", "hex");
    expect(() => decodeMessage(forward)).toThrow(/backwards/);
  });

  it("rejects counts that promise more than the bytes hold, and short headers", () => {
    expect(() => decodeMessage(Buffer.from("00000000000100000000", "hex"))).toThrow(DnsFormatError);
    expect(() => decodeMessage(Buffer.from("000000000001000000000000", "hex"))).toThrow(DnsFormatError);
    expect(decodeHeader(new Uint8Array(11))).toBeUndefined();
  });

  it("rejects an address record of the wrong size and record data that overruns", () => {
    const bad = Buffer.from("0000" + "8000" + "0000" + "0001" + "0000" + "0000" + "00" + "0001" + "0001" + "00000005" + "0003" + "0a0000", "hex");
    expect(() => decodeMessage(bad)).toThrow(/4/);
    const over = Buffer.from("0000" + "8000" + "0000" + "0001" + "0000" + "0000" + "00" + "0010" + "0001" + "00000005" + "00ff" + "00", "hex");
    expect(() => decodeMessage(over)).toThrow(DnsFormatError);
  });

  it("only ever throws DnsFormatError on random bytes and on mutated valid messages", () => {
    const random = prng(20261127);
    const valid = encodeMessage(
      message({
        questions: [{ name: "_http._tcp.web.default.svc.cluster.local", type: RRType.SRV, class: RRClass.IN }],
        answers: [
          rr("_http._tcp.web.default.svc.cluster.local", RRType.SRV, { kind: "srv", priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" }),
          rr("cluster.local", RRType.SOA, { kind: "soa", mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }),
        ],
        additionals: [rr("web.default.svc.cluster.local", RRType.A, { kind: "address", address: "10.0.0.1" }), serverOpt(0)],
      }),
    );
    let decoded = 0;
    for (let i = 0; i < 10000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = Uint8Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256));
      } else {
        input = Uint8Array.from(valid);
        const flips = 1 + Math.floor(random() * 6);
        for (let f = 0; f < flips; f++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
        if (random() < 0.3) input = input.subarray(0, Math.floor(random() * input.length));
      }
      let msg: DnsMessage;
      try {
        msg = decodeMessage(input);
      } catch (err) {
        if (!(err instanceof DnsFormatError)) throw new Error(`case ${i} (${hex(input)}) threw ${String(err)}`);
        continue;
      }
      decoded++;
      // whatever decodes encodes again to the same message
      expect(decodeMessage(encodeMessage(msg)), `case ${i} (${hex(input)})`).toEqual(msg);
    }
    expect(decoded).toBeGreaterThan(100);
  });
});

describe("IP address text", () => {
  it("converts IPv6 both ways in RFC 5952 form", () => {
    expect(ipv6ToText(ipv6ToBytes("FD00:0:0:0:0:0:0:1"))).toBe("fd00::1");
    expect(ipv6ToText(ipv6ToBytes("::"))).toBe("::");
    expect(ipv6ToText(ipv6ToBytes("1:0:0:2:0:0:0:3"))).toBe("1:0:0:2::3");
    expect(ipv6ToText(ipv6ToBytes("1:2:3:4:5:6:7:8"))).toBe("1:2:3:4:5:6:7:8");
    expect(ipv6ToText(ipv6ToBytes("1:0:2:3:4:5:6:7"))).toBe("1:0:2:3:4:5:6:7");
    expect(ipv6ToText(ipv6ToBytes("::ffff:10.0.0.1"))).toBe("::ffff:a00:1");
    expect(Array.from(ipv4ToBytes("10.244.0.5"))).toEqual([10, 244, 0, 5]);
    expect(() => ipv4ToBytes("10.244.0")).toThrow();
  });
});

describe("TCP framing", () => {
  it("reassembles messages however the stream cuts them", () => {
    const a = Uint8Array.from([1, 2, 3]);
    const b = Uint8Array.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const stream = Buffer.concat([frameMessage(a), frameMessage(b), frameMessage(new Uint8Array(0))]);
    for (const size of [1, 2, 3, 7, 500]) {
      const got: Uint8Array[] = [];
      const reader = new TcpFrameReader((m) => got.push(m));
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size));
      expect(got).toEqual([a, b, new Uint8Array(0)]);
      expect(reader.buffered).toBe(0);
    }
  });
});
