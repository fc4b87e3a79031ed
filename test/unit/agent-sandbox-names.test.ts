import { describe, expect, it } from "vitest";
import { cidrContains, firstHostAddress, formatIpv4, parseIpv4, parseIpv4Cidr } from "../../agent/sandbox/ipv4-cidr";
import {
  assertValidInterfaceName,
  assertValidPrefix,
  assertValidSandboxId,
  cniNetworkName,
  defaultBridgeName,
  sandboxIdFromKey,
  sandboxKey,
} from "../../agent/sandbox/sandbox-names";

describe("sandbox names", () => {
  it("joins prefix and id with an underscore and splits them back only for the same prefix", () => {
    const key = sandboxKey("node-1", "0f6a9d3c-1b2e-4c5d-8e9f-a0b1c2d3e4f5");
    expect(key).toBe("node-1_0f6a9d3c-1b2e-4c5d-8e9f-a0b1c2d3e4f5");
    expect(sandboxIdFromKey("node-1", key)).toBe("0f6a9d3c-1b2e-4c5d-8e9f-a0b1c2d3e4f5");
    expect(sandboxIdFromKey("node", key)).toBeUndefined();
    expect(sandboxIdFromKey("node-10", key)).toBeUndefined();
    expect(sandboxIdFromKey("node-1", "node-1_")).toBeUndefined();
    expect(sandboxIdFromKey("node-1", "node-1_a/b")).toBeUndefined();
  });

  it("keeps a prefix of one agent from claiming another's namespaces", () => {
    // "a" and "a-b" are both valid prefixes; the separator cannot occur in a prefix
    expect(sandboxIdFromKey("a", sandboxKey("a-b", "pod"))).toBeUndefined();
    expect(sandboxIdFromKey("a-b", sandboxKey("a", "b_pod"))).toBeUndefined();
    expect(sandboxIdFromKey("a", sandboxKey("a", "b_pod"))).toBe("b_pod");
  });

  it.each(["ftest1", "a", "node-1", "x".repeat(32)])("accepts prefix %s", (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });

  it.each(["", "Upper", "with_underscore", "-lead", "trail-", "dot.ted", "x".repeat(33)])("rejects prefix %j", (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(/invalid sandbox prefix/);
  });

  it.each(["abc", "0f6a9d3c-1b2e-4c5d-8e9f-a0b1c2d3e4f5", "a.b_c-d", "x".repeat(64)])("accepts id %s", (id) => {
    expect(() => assertValidSandboxId(id)).not.toThrow();
  });

  it.each(["", "../etc", "a/b", "-x", ".hidden", "a b", "x".repeat(65)])("rejects id %j", (id) => {
    expect(() => assertValidSandboxId(id)).toThrow(/invalid sandbox id/);
  });

  it("derives a bridge name of at most 15 characters, hashing long prefixes", () => {
    expect(defaultBridgeName("ftest1")).toBe("fl-ftest1");
    expect(defaultBridgeName("abcdefghijkl")).toBe("fl-abcdefghijkl");
    const long = defaultBridgeName("abcdefghijklm");
    expect(long).toMatch(/^fl-[0-9a-f]{12}$/);
    expect(defaultBridgeName("abcdefghijklmn")).not.toBe(long);
    expect(() => assertValidInterfaceName(long)).not.toThrow();
  });

  it("rejects interface names Linux would refuse", () => {
    expect(() => assertValidInterfaceName("a".repeat(16))).toThrow(/interface name/);
    expect(() => assertValidInterfaceName("br/0")).toThrow(/interface name/);
    expect(() => assertValidInterfaceName("..")).toThrow(/interface name/);
  });

  it("names the CNI network after the prefix", () => {
    expect(cniNetworkName("ftest1")).toBe("flotilla-ftest1");
  });
});

describe("IPv4 CIDR", () => {
  it("parses and formats addresses", () => {
    expect(parseIpv4("10.244.250.1")).toBe(0x0af4fa01);
    expect(formatIpv4(0x0af4fa01)).toBe("10.244.250.1");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    for (const bad of ["10.244.250", "10.244.250.256", "010.1.1.1", "a.b.c.d", "::1"]) expect(parseIpv4(bad)).toBeUndefined();
  });

  it("gives the first address of the podCIDR as the gateway", () => {
    expect(firstHostAddress(parseIpv4Cidr("10.244.250.0/24"))).toBe("10.244.250.1");
    expect(firstHostAddress(parseIpv4Cidr("10.244.0.0/16"))).toBe("10.244.0.1");
  });

  it("rejects malformed CIDRs and host bits", () => {
    expect(() => parseIpv4Cidr("10.244.250.0")).toThrow(/invalid IPv4 CIDR/);
    expect(() => parseIpv4Cidr("10.244.250.0/33")).toThrow(/invalid IPv4 CIDR/);
    expect(() => parseIpv4Cidr("10.244.250.0/24/1")).toThrow(/invalid IPv4 CIDR/);
    expect(() => parseIpv4Cidr("10.244.250.7/24")).toThrow(/host bits/);
  });

  it("tells whether an address is inside", () => {
    const cidr = parseIpv4Cidr("10.244.250.0/24");
    expect(cidrContains(cidr, "10.244.250.2")).toBe(true);
    expect(cidrContains(cidr, "10.244.250.255")).toBe(true);
    expect(cidrContains(cidr, "10.244.251.2")).toBe(false);
    expect(cidrContains(cidr, "not-an-ip")).toBe(false);
    expect(cidrContains(parseIpv4Cidr("0.0.0.0/0"), "192.0.2.2")).toBe(true);
  });
});
