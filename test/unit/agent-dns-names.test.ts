import { describe, expect, it } from "vitest";
import { endpointLabel, ipFromDashed, parseClusterQuery, zoneLabels } from "../../agent/dns/cluster-query";
import { addressFromReverseName } from "../../agent/dns/reverse-lookup";
import { parseUpstream, upstreamsFromResolvConf } from "../../agent/dns/upstream";

const zone = zoneLabels("cluster.local");

describe("reading names in the cluster domain", () => {
  it.each([
    ["cluster.local", { kind: "apex" }],
    ["svc.cluster.local", { kind: "apex" }],
    ["pod.cluster.local", { kind: "apex" }],
    ["ns.dns.cluster.local", { kind: "nameserver" }],
    ["default.svc.cluster.local", { kind: "namespace", namespace: "default", place: "svc" }],
    ["kube-system.pod.cluster.local", { kind: "namespace", namespace: "kube-system", place: "pod" }],
    ["web.default.svc.cluster.local", { kind: "service", namespace: "default", service: "web" }],
    ["WEB.Default.SVC.Cluster.Local", { kind: "service", namespace: "default", service: "web" }],
    ["web-0.web.default.svc.cluster.local", { kind: "service", namespace: "default", service: "web", endpoint: "web-0" }],
    ["_http._tcp.web.default.svc.cluster.local", { kind: "service", namespace: "default", service: "web", port: "http", protocol: "tcp" }],
    ["http.tcp.web.default.svc.cluster.local", { kind: "service", namespace: "default", service: "web", port: "http", protocol: "tcp" }],
    ["10-244-1-7.default.pod.cluster.local", { kind: "pod", namespace: "default", ip: "10.244.1.7" }],
    ["fd00--7.default.pod.cluster.local", { kind: "pod", namespace: "default", ip: "fd00::7" }],
    ["not-an-ip.default.pod.cluster.local", { kind: "pod", namespace: "default", ip: undefined }],
    ["a.b.c.d.e.svc.cluster.local", { kind: "invalid" }],
    ["x.10-244-1-7.default.pod.cluster.local", { kind: "invalid" }],
    ["web.default.cluster.local", { kind: "invalid" }],
    ["foo.cluster.local", { kind: "invalid" }],
  ])("%s", (name, expected) => {
    expect(parseClusterQuery(name, zone)).toEqual(expected);
  });

  it("leaves names outside the zone alone", () => {
    expect(parseClusterQuery("example.com", zone)).toBeUndefined();
    expect(parseClusterQuery("local", zone)).toBeUndefined();
    expect(parseClusterQuery("notcluster.local", zone)).toBeUndefined();
    expect(parseClusterQuery("web.default.svc.cluster.local.example.com", zone)).toBeUndefined();
    expect(parseClusterQuery("web.default.svc.k8s.example", zoneLabels("K8s.Example."))).toEqual({ kind: "service", namespace: "default", service: "web" });
  });

  it("turns dashed addresses into addresses and addresses into endpoint labels", () => {
    expect(ipFromDashed("10-0-0-1")).toBe("10.0.0.1");
    expect(ipFromDashed("10-0-0-256")).toBeUndefined();
    expect(ipFromDashed("10-0-0")).toBeUndefined();
    expect(ipFromDashed("2001-db8--1")).toBe("2001:db8::1");
    expect(endpointLabel("10.244.0.5", undefined)).toBe("10-244-0-5");
    expect(endpointLabel("fd00::5", undefined)).toBe("fd00--5");
    expect(endpointLabel("10.244.0.5", "web-0")).toBe("web-0");
  });
});

describe("reverse names", () => {
  it("reads IPv4 and IPv6 reverse names and ignores partial ones", () => {
    expect(addressFromReverseName("5.0.96.10.in-addr.arpa")).toBe("10.96.0.5");
    expect(addressFromReverseName("5.0.96.10.IN-ADDR.ARPA")).toBe("10.96.0.5");
    expect(addressFromReverseName("0.96.10.in-addr.arpa")).toBeUndefined();
    expect(addressFromReverseName("5.0.96.300.in-addr.arpa")).toBeUndefined();
    const v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
    expect(addressFromReverseName(v6)).toBe("fd00::1");
    expect(addressFromReverseName("g" + v6.slice(1))).toBeUndefined();
    expect(addressFromReverseName("example.com")).toBeUndefined();
  });
});

describe("upstream resolvers", () => {
  it("reads addresses with optional ports", () => {
    expect(parseUpstream("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 53 });
    expect(parseUpstream("10.0.0.2:5353")).toEqual({ host: "10.0.0.2", port: 5353 });
    expect(parseUpstream("fd00::53")).toEqual({ host: "fd00::53", port: 53 });
    expect(parseUpstream("[fd00::53]:5353")).toEqual({ host: "fd00::53", port: 5353 });
    expect(() => parseUpstream("dns.example")).toThrow(/not an IP address/);
    expect(() => parseUpstream("10.0.0.2:70000")).toThrow(/not an IP address/);
  });

  it("takes the host's nameservers without the loopback ones", () => {
    const text = ["# generated", "search example.internal", "nameserver 127.0.0.53", "nameserver 10.255.255.53", "nameserver ::1", "nameserver fe80::1%eth0", "options edns0", "nameserver bogus"].join("\n");
    expect(upstreamsFromResolvConf(text)).toEqual(["10.255.255.53", "fe80::1%eth0"]);
  });
});
