import { describe, expect, it } from "vitest";
import { renderHostsFile } from "../../agent/sandbox/hosts-file";
import { renderResolvConf } from "../../agent/sandbox/resolv-conf";
import { assertValidSandboxSpec, type SandboxSpec } from "../../agent/sandbox/sandbox-spec";

describe("hosts file", () => {
  it("lists loopback names, the pod under its FQDN and hostname, then host aliases", () => {
    const text = renderHostsFile({
      podIP: "10.244.250.7",
      hostname: "web-0",
      podFqdn: "web-0.web.default.svc.cluster.local",
      hostAliases: [
        { ip: "192.0.2.10", hostnames: ["foo.local", "bar.local"] },
        { ip: "192.0.2.11", hostnames: [] },
        { ip: "2001:db8::1", hostnames: ["v6.local"] },
      ],
    });
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^# /);
    expect(lines).toContain("127.0.0.1\tlocalhost");
    expect(lines).toContain("::1\tlocalhost ip6-localhost ip6-loopback");
    expect(lines).toContain("10.244.250.7\tweb-0.web.default.svc.cluster.local\tweb-0");
    const own = lines.indexOf("10.244.250.7\tweb-0.web.default.svc.cluster.local\tweb-0");
    const alias = lines.indexOf("192.0.2.10\tfoo.local\tbar.local");
    expect(alias).toBeGreaterThan(own);
    expect(lines.indexOf("2001:db8::1\tv6.local")).toBe(alias + 1);
    expect(text).not.toContain("192.0.2.11");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("writes only the hostname when the pod has no FQDN, and no alias section without aliases", () => {
    const text = renderHostsFile({ podIP: "10.244.250.2", hostname: "solo", hostAliases: [] });
    expect(text.split("\n")).toContain("10.244.250.2\tsolo");
    expect(text).not.toContain("hostAliases");
  });
});

describe("resolv.conf", () => {
  it("writes nameserver, search and options lines", () => {
    const text = renderResolvConf({
      nameservers: ["10.244.250.1", "192.0.2.53"],
      searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      options: ["ndots:5", "edns0"],
    });
    expect(text.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "nameserver 10.244.250.1",
      "nameserver 192.0.2.53",
      "search default.svc.cluster.local svc.cluster.local cluster.local",
      "options ndots:5 edns0",
      "",
    ]);
  });

  it("leaves out empty settings", () => {
    const text = renderResolvConf({ nameservers: ["192.0.2.53"], searches: [], options: [] });
    expect(text).not.toMatch(/^search/m);
    expect(text).not.toMatch(/^options/m);
    expect(text).toMatch(/^nameserver 192\.0\.2\.53$/m);
  });
});

describe("sandbox spec validation", () => {
  const good: SandboxSpec = {
    id: "0f6a9d3c-1b2e-4c5d-8e9f-a0b1c2d3e4f5",
    hostname: "web-0",
    podFqdn: "web-0.web.default.svc.cluster.local",
    hostsEntries: [{ ip: "192.0.2.10", hostnames: ["foo.local"] }],
    dns: { nameservers: ["10.96.0.10"], searches: ["default.svc.cluster.local"], options: ["ndots:5"] },
    portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1" }],
  };

  it("accepts a well-formed spec", () => {
    expect(() => assertValidSandboxSpec(good)).not.toThrow();
  });

  it.each<[string, Partial<SandboxSpec>, RegExp]>([
    ["a bad id", { id: "../x" }, /invalid sandbox id/],
    ["a hostname over 63 characters", { hostname: "h".repeat(64) }, /hostname/],
    ["a hostname with a newline", { hostname: "a\nb" }, /hostname/],
    ["an alias name with spaces", { hostsEntries: [{ ip: "192.0.2.1", hostnames: ["a b"] }] }, /hosts entry name/],
    ["an alias IP that is no IP", { hostsEntries: [{ ip: "nope", hostnames: ["a"] }] }, /hosts entry IP/],
    ["a nameserver that is no IP", { dns: { nameservers: ["dns.local"], searches: [], options: [] } }, /nameserver/],
    ["a search domain with a line break", { dns: { nameservers: [], searches: ["a\nnameserver 1.2.3.4"], options: [] } }, /search domain/],
    ["a port out of range", { portMappings: [{ hostPort: 70000, containerPort: 80, protocol: "tcp" }] }, /ports must be/],
    ["an unknown protocol", { portMappings: [{ hostPort: 80, containerPort: 80, protocol: "icmp" as "tcp" }] }, /protocol/],
    ["a bad hostIP", { portMappings: [{ hostPort: 80, containerPort: 80, protocol: "udp", hostIP: "x" }] }, /hostIP/],
  ])("rejects %s", (_label, patch, message) => {
    expect(() => assertValidSandboxSpec({ ...good, ...patch })).toThrow(message);
  });
});
