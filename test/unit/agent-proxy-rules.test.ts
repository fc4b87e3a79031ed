import { describe, expect, it } from "vitest";
import { assertValidChainPrefix, digest, hashedChain, isOwnChain } from "../../agent/proxy/chain-names";
import { selectEndpoints } from "../../agent/proxy/endpoint-selection";
import { removalText, restoreText, ruleLine } from "../../agent/proxy/restore-text";
import { buildProxyRules, type ProxyRuleInput, type ProxyRuleSet } from "../../agent/proxy/rule-set";
import type { EndpointEntry, ServiceEntry, ServicePort } from "../../agent/services/catalog";

const HTTP: ServicePort = { name: "http", port: 80, protocol: "TCP", targetPort: 8080 };

function service(name: string, extra: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    namespace: "default",
    name,
    type: "ClusterIP",
    clusterIPs: ["10.96.0.10"],
    headless: false,
    ports: [HTTP],
    sessionAffinity: "None",
    affinityTimeoutSeconds: 10800,
    loadBalancerIPs: [],
    externalIPs: [],
    ...extra,
  };
}

function ep(ip: string, extra: Partial<EndpointEntry> = {}): EndpointEntry {
  return { addresses: [ip], ready: true, serving: true, terminating: false, nodeName: "n1", ports: [{ name: "http", port: 8080, protocol: "TCP" }], ...extra };
}

function build(services: ServiceEntry[], endpoints: Record<string, EndpointEntry[]>, extra: Partial<ProxyRuleInput> = {}): ProxyRuleSet {
  return buildProxyRules({
    prefix: "t1",
    clusterCIDR: "10.244.0.0/16",
    localNodes: new Set(["n1"]),
    services,
    endpoints: (ns, name) => endpoints[`${ns}/${name}`] ?? [],
    ...extra,
  });
}

const natLines = (r: ProxyRuleSet) => r.nat.rules.map(ruleLine);
const filterLines = (r: ProxyRuleSet) => r.filter.rules.map(ruleLine);
const inChain = (lines: string[], chain: string) => lines.filter((l) => l.startsWith(`-A ${chain} `));
const svcChain = (name: string, port = "http", proto = "TCP") => hashedChain("t1", "SVC", `default/${name}:${port}/${proto}`);
const sepChain = (name: string, ip: string, port = 8080) => hashedChain("t1", "SEP", `default/${name}:http/TCP/${ip}:${port}`);

describe("chain names", () => {
  it("are the prefix, a role and a 16-character base32 digest of the SHA-256, within iptables' 28 characters", () => {
    // The digest's 16 characters are the first 80 bits of the SHA-256, five bits each.
    const d = digest("default/web:http/TCP");
    expect(d).toMatch(/^[A-Z2-7]{16}$/);
    expect(digest("default/web:http/TCP")).toBe(d);
    expect(digest("default/web:http/UDP")).not.toBe(d);
    expect(hashedChain("abcdef", "SEP", "x").length).toBeLessThanOrEqual(28);
    expect(digest("")).toBe("4OYMIQUY7QOBJGX3"); // sha256("") = e3b0c442 98fc1c14 9a..., in base32
  });

  it("tell this prefix's chains from another agent's, the CNI plugins' and anyone else's", () => {
    expect(isOwnChain("t1", "t1-SERVICES")).toBe(true);
    expect(isOwnChain("t1", hashedChain("t1", "SVC", "k"))).toBe(true);
    expect(isOwnChain("t1", hashedChain("t12", "SVC", "k"))).toBe(false);
    expect(isOwnChain("t12", hashedChain("t1", "SVC", "k"))).toBe(false);
    expect(isOwnChain("t1", "t1-SVC-SHORT")).toBe(false);
    expect(isOwnChain("t1", "t1-OTHER")).toBe(false);
    expect(isOwnChain("t1", "CNI-HOSTPORT-DNAT")).toBe(false);
    expect(isOwnChain("t1", "KUBE-SERVICES")).toBe(false);
    expect(() => assertValidChainPrefix("abcdefg")).toThrow(/1-6/);
    expect(() => assertValidChainPrefix("a-b")).toThrow();
    expect(() => assertValidChainPrefix("")).toThrow();
  });
});

describe("endpoint selection", () => {
  const isLocal = (n: string | undefined) => n === "n1";

  it("takes ready endpoints, sorted by address, each address:port once", () => {
    const got = selectEndpoints(HTTP, [ep("10.244.2.9", { nodeName: "n2" }), ep("10.244.1.10"), ep("10.244.1.9"), ep("10.244.1.9"), ep("10.244.1.7", { ready: false, serving: false })], isLocal);
    expect(got.cluster.map((e) => e.ip)).toEqual(["10.244.1.9", "10.244.1.10", "10.244.2.9"]);
    expect(got.local.map((e) => e.ip)).toEqual(["10.244.1.9", "10.244.1.10"]);
    expect(got.cluster[0]).toEqual({ ip: "10.244.1.9", port: 8080, nodeName: "n1" });
  });

  it("falls back to serving, terminating endpoints only when none is ready", () => {
    const terminating = ep("10.244.1.5", { ready: false, serving: true, terminating: true });
    const gone = ep("10.244.1.6", { ready: false, serving: false, terminating: true });
    expect(selectEndpoints(HTTP, [terminating, gone], isLocal).cluster.map((e) => e.ip)).toEqual(["10.244.1.5"]);
    expect(selectEndpoints(HTTP, [terminating, gone, ep("10.244.2.1", { nodeName: "n2" })], isLocal).cluster.map((e) => e.ip)).toEqual(["10.244.2.1"]);
    // the local subset falls back on its own
    expect(selectEndpoints(HTTP, [terminating, ep("10.244.2.1", { nodeName: "n2" })], isLocal).local.map((e) => e.ip)).toEqual(["10.244.1.5"]);
  });

  it("maps the service port to the slice port of the same name and protocol, skipping IPv6", () => {
    const named = ep("10.244.1.2", { ports: [{ name: "metrics", port: 9090, protocol: "TCP" }, { name: "http", port: 8081, protocol: "TCP" }] });
    const udp = ep("10.244.1.3", { ports: [{ name: "http", port: 8080, protocol: "UDP" }] });
    expect(selectEndpoints(HTTP, [named, udp, ep("fd00::1")], isLocal).cluster).toEqual([{ ip: "10.244.1.2", port: 8081, nodeName: "n1" }]);
    const unnamed: ServicePort = { port: 53, protocol: "UDP", targetPort: 53 };
    expect(selectEndpoints(unnamed, [ep("10.244.1.4", { ports: [{ port: 5353, protocol: "UDP" }] })], isLocal).cluster[0].port).toBe(5353);
  });
});

describe("rules for a ClusterIP service", () => {
  const rules = build([service("web")], { "default/web": [ep("10.244.1.2"), ep("10.244.1.3"), ep("10.244.2.4", { nodeName: "n2" })] });
  const nat = natLines(rules);
  const svc = svcChain("web");

  it("sends the cluster IP and port to the service's chain", () => {
    expect(inChain(nat, "t1-SERVICES")[0]).toBe(`-A t1-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http cluster IP" -j ${svc}`);
  });

  it("masquerades callers from outside the cluster CIDR, then spreads connections with kube-proxy's probabilities", () => {
    expect(inChain(nat, svc)).toEqual([
      `-A ${svc} ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web:http cluster IP" -j t1-MARK-MASQ`,
      `-A ${svc} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j ${sepChain("web", "10.244.1.2")}`,
      `-A ${svc} -m comment --comment "default/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${sepChain("web", "10.244.1.3")}`,
      `-A ${svc} -m comment --comment "default/web:http -> 10.244.2.4:8080" -j ${sepChain("web", "10.244.2.4")}`,
    ]);
  });

  it("DNATs in each endpoint's chain, masquerading a pod that reaches itself (hairpin)", () => {
    const sep = sepChain("web", "10.244.1.2");
    expect(inChain(nat, sep)).toEqual([
      `-A ${sep} -s 10.244.1.2/32 -m comment --comment default/web:http -j t1-MARK-MASQ`,
      `-A ${sep} -p tcp -m comment --comment default/web:http -m tcp -j DNAT --to-destination 10.244.1.2:8080`,
    ]);
  });

  it("marks, then masquerades marked packets once, and ends the services chain with the node ports jump", () => {
    expect(inChain(nat, "t1-MARK-MASQ")).toEqual(["-A t1-MARK-MASQ -j MARK --or-mark 0x4000"]);
    expect(inChain(nat, "t1-POSTROUTING")).toEqual([
      "-A t1-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
      "-A t1-POSTROUTING -j MARK --xor-mark 0x4000",
      '-A t1-POSTROUTING -m comment --comment "service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(inChain(nat, "t1-SERVICES").at(-1)).toBe('-A t1-SERVICES -m comment --comment "service nodeports; must be the last rule of this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j t1-NODEPORTS');
    expect(filterLines(rules)).toEqual([]);
    expect(rules.ruleCount).toBe(rules.nat.rules.length);
  });

  it("declares every chain it uses, and only chains of its prefix", () => {
    const used = new Set(rules.nat.rules.flatMap((r) => [r[1], r[r.indexOf("-j") + 1]]).filter((c) => c.startsWith("t1-")));
    expect(new Set(rules.nat.chains)).toEqual(used);
    expect(rules.nat.chains.every((c) => isOwnChain("t1", c))).toBe(true);
  });

  it("is the same for the same catalog, whatever the order of services and endpoints", () => {
    const a = build([service("a"), service("b", { clusterIPs: ["10.96.0.11"] })], { "default/a": [ep("10.244.1.2"), ep("10.244.1.3")] });
    const b = build([service("b", { clusterIPs: ["10.96.0.11"] }), service("a")], { "default/a": [ep("10.244.1.3"), ep("10.244.1.2")] });
    expect(restoreText(a, { nat: [], filter: [] })).toBe(restoreText(b, { nat: [], filter: [] }));
  });
});

describe("rules without endpoints", () => {
  it("REJECT new connections to the cluster IP, external IPs and the node port, with no DNAT chain", () => {
    const svc = service("idle", { type: "NodePort", externalIPs: ["192.0.2.50"], ports: [{ ...HTTP, nodePort: 30080 }] });
    const rules = build([svc], { "default/idle": [ep("10.244.1.2", { ready: false, serving: false })] });
    expect(filterLines(rules)).toEqual([
      '-A t1-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/idle:http has no endpoints" -j REJECT',
      '-A t1-SERVICES -d 192.0.2.50/32 -p tcp -m tcp --dport 80 -m comment --comment "default/idle:http has no endpoints" -j REJECT',
      '-A t1-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment "default/idle:http has no endpoints" -j REJECT',
    ]);
    expect(rules.nat.chains).toEqual(["t1-SERVICES", "t1-NODEPORTS", "t1-POSTROUTING", "t1-MARK-MASQ"]);
  });
});

describe("session affinity", () => {
  it("sends a client seen within the timeout back to its endpoint, and records each DNAT", () => {
    const rules = build([service("sticky", { sessionAffinity: "ClientIP", affinityTimeoutSeconds: 600 })], { "default/sticky": [ep("10.244.1.2"), ep("10.244.1.3")] });
    const svc = svcChain("sticky");
    const sep = sepChain("sticky", "10.244.1.2");
    const lines = inChain(natLines(rules), svc);
    expect(lines[1]).toBe(`-A ${svc} -m comment --comment "default/sticky:http -> 10.244.1.2:8080" -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${sep}`);
    expect(lines.slice(3).map((l) => l.includes("statistic") || l.endsWith(sepChain("sticky", "10.244.1.3")))).toEqual([true, true]);
    expect(inChain(natLines(rules), sep)[1]).toBe(`-A ${sep} -p tcp -m comment --comment default/sticky:http -m recent --name ${sep} --mask 255.255.255.255 --rsource --set -m tcp -j DNAT --to-destination 10.244.1.2:8080`);
  });
});

describe("NodePort, LoadBalancer and external IPs", () => {
  const svc = service("edge", { type: "LoadBalancer", ports: [{ ...HTTP, nodePort: 30080 }], loadBalancerIPs: ["192.0.2.60", "fd00::60"], externalIPs: ["192.0.2.50"] });
  const rules = build([svc], { "default/edge": [ep("10.244.1.2")] });
  const nat = natLines(rules);
  const ext = hashedChain("t1", "EXT", "default/edge:http/TCP");

  it("sends the node port, external IPs and load-balancer IPs to the external chain, which masquerades and goes to the service chain", () => {
    expect(inChain(nat, "t1-NODEPORTS")).toEqual([`-A t1-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment default/edge:http -j ${ext}`]);
    expect(inChain(nat, "t1-SERVICES").slice(1, 3)).toEqual([
      `-A t1-SERVICES -d 192.0.2.50/32 -p tcp -m tcp --dport 80 -m comment --comment "default/edge:http external IP" -j ${ext}`,
      `-A t1-SERVICES -d 192.0.2.60/32 -p tcp -m tcp --dport 80 -m comment --comment "default/edge:http loadbalancer IP" -j ${ext}`,
    ]);
    expect(inChain(nat, ext)).toEqual([
      `-A ${ext} -m comment --comment "masquerade traffic for default/edge:http external destinations" -j t1-MARK-MASQ`,
      `-A ${ext} -j ${svcChain("edge")}`,
    ]);
  });

  it("ignores load-balancer IPs on a service that is not of type LoadBalancer", () => {
    const plain = build([service("c", { loadBalancerIPs: ["192.0.2.61"] })], { "default/c": [ep("10.244.1.2")] });
    expect(natLines(plain).join("\n")).not.toContain("192.0.2.61");
  });
});

describe("Local traffic policies", () => {
  const endpoints = { "default/loc": [ep("10.244.1.2"), ep("10.244.2.3", { nodeName: "n2" })] };

  it("externalTrafficPolicy Local: pods and the node get every endpoint, outside clients only this node's, unmasqueraded", () => {
    const svc = service("loc", { type: "NodePort", ports: [{ ...HTTP, nodePort: 30081 }], externalTrafficPolicy: "Local" });
    const nat = natLines(build([svc], endpoints));
    const ext = hashedChain("t1", "EXT", "default/loc:http/TCP");
    const svl = hashedChain("t1", "SVL", "default/loc:http/TCP");
    expect(inChain(nat, ext)).toEqual([
      `-A ${ext} -s 10.244.0.0/16 -m comment --comment "pod traffic for default/loc:http external destinations" -j ${svcChain("loc")}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for default/loc:http external destinations" -m addrtype --src-type LOCAL -j t1-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for default/loc:http external destinations" -m addrtype --src-type LOCAL -j ${svcChain("loc")}`,
      `-A ${ext} -j ${svl}`,
    ]);
    expect(inChain(nat, svl)).toEqual([`-A ${svl} -m comment --comment "default/loc:http -> 10.244.1.2:8080" -j ${sepChain("loc", "10.244.1.2")}`]);
    expect(inChain(nat, svcChain("loc"))).toHaveLength(3);
  });

  it("externalTrafficPolicy Local without local endpoints: outside clients are dropped", () => {
    const svc = service("loc", { type: "NodePort", ports: [{ ...HTTP, nodePort: 30081 }], externalTrafficPolicy: "Local" });
    const rules = build([svc], { "default/loc": [ep("10.244.2.3", { nodeName: "n2" })] });
    expect(filterLines(rules)).toEqual(['-A t1-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30081 -m comment --comment "default/loc:http has no local endpoints" -j DROP']);
    expect(natLines(rules).join("\n")).not.toContain("-SVL-");
  });

  it("counts endpoints of the other nodes on this machine as local", () => {
    const svc = service("loc", { internalTrafficPolicy: "Local" });
    const rules = build([svc], endpoints, { localNodes: new Set(["n1", "n2"]) });
    const svl = hashedChain("t1", "SVL", "default/loc:http/TCP");
    expect(inChain(natLines(rules), svl)).toHaveLength(2);
  });

  it("internalTrafficPolicy Local: the cluster IP leads to local endpoints only, or is dropped", () => {
    const svc = service("loc", { internalTrafficPolicy: "Local" });
    const nat = natLines(build([svc], endpoints));
    const svl = hashedChain("t1", "SVL", "default/loc:http/TCP");
    expect(inChain(nat, "t1-SERVICES")[0]).toMatch(new RegExp(`cluster IP" -j ${svl}$`));
    expect(nat.join("\n")).not.toContain(svcChain("loc"));
    expect(nat.join("\n")).not.toContain("10.244.2.3");
    const none = build([svc], { "default/loc": [ep("10.244.2.3", { nodeName: "n2" })] });
    expect(filterLines(none)).toEqual(['-A t1-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/loc:http has no local endpoints" -j DROP']);
  });
});

describe("services without proxy rules", () => {
  it("skips headless and ExternalName services and IPv6 cluster IPs; handles UDP and SCTP ports", () => {
    const rules = build(
      [
        service("headless", { headless: true, clusterIPs: [] }),
        service("alias", { type: "ExternalName", clusterIPs: [], externalName: "example.com" }),
        service("v6", { clusterIPs: ["fd00::10"] }),
        service("dns", { clusterIPs: ["10.96.0.53"], ports: [{ name: "dns", port: 53, protocol: "UDP", targetPort: 53 }, { name: "s", port: 99, protocol: "SCTP", targetPort: 99 }] }),
      ],
      {
        "default/headless": [ep("10.244.1.2")],
        "default/alias": [ep("10.244.1.2")],
        "default/v6": [ep("10.244.1.2")],
        "default/dns": [ep("10.244.1.53", { ports: [{ name: "dns", port: 53, protocol: "UDP" }, { name: "s", port: 99, protocol: "SCTP" }] })],
      },
    );
    const services = inChain(natLines(rules), "t1-SERVICES");
    expect(services).toHaveLength(3);
    expect(services[0]).toContain("-d 10.96.0.53/32 -p udp -m udp --dport 53 ");
    expect(services[1]).toContain("-d 10.96.0.53/32 -p sctp -m sctp --dport 99 ");
  });
});

describe("restore text", () => {
  const rules = build([service("web")], { "default/web": [ep("10.244.1.2")] });

  it("declares (so flushes) each wanted chain, refills it, and deletes stale chains of the prefix in the same commit", () => {
    const stale = hashedChain("t1", "SVC", "default/gone:http/TCP");
    const text = restoreText(rules, { nat: ["t1-SERVICES", stale], filter: [] }).split("\n");
    expect(text[0]).toBe("*nat");
    expect(text).toContain(`:${stale} - [0:0]`);
    expect(text.indexOf(`-X ${stale}`)).toBeGreaterThan(text.findLastIndex((l) => l.startsWith("-A ")));
    expect(text.filter((l) => l === "COMMIT")).toHaveLength(2);
    expect(text).toContain("*filter");
    expect(text).toContain(":t1-SERVICES - [0:0]");
  });

  it("removal text empties and deletes exactly the listed chains", () => {
    expect(removalText({ nat: ["t1-SERVICES", "t1-MARK-MASQ"], filter: ["t1-SERVICES"] })).toBe(
      ["*nat", ":t1-MARK-MASQ - [0:0]", ":t1-SERVICES - [0:0]", "-X t1-MARK-MASQ", "-X t1-SERVICES", "COMMIT", "*filter", ":t1-SERVICES - [0:0]", "-X t1-SERVICES", "COMMIT", ""].join("\n"),
    );
    expect(removalText({ nat: [], filter: [] })).toBe("");
  });

  it("quotes arguments with blanks or quotes as iptables-save does", () => {
    expect(ruleLine(["-A", "c", "-m", "comment", "--comment", 'say "hi" now', "-j", "x"])).toBe('-A c -m comment --comment "say \\"hi\\" now" -j x');
  });
});
