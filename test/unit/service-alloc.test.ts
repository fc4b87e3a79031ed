import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { dropTypeDependentFields } from "../../src/resources/kinds/service";
import { planHealthCheckNodePort, planNodePorts, type NodePortPlanner } from "../../src/store/service-alloc-ports";
import { firstServiceIP, ipv4ToNumber, numberToIpv4, parseServiceCidr, staticBand } from "../../src/store/service-alloc-range";
import { patchAllocatedValues, prepareServiceUpdate } from "../../src/store/service-alloc-update";

type Obj = Record<string, any>;

const svc = (spec: Obj, name = "web"): Obj => ({ metadata: { name, namespace: "default" }, spec: structuredClone(spec) });

/** A planner over a fake table: `held` maps ports to their holders; `free` is handed out in order. */
function planner(held: Record<number, string> = {}, free: number[] = [31000, 31001, 31002]): NodePortPlanner & { taken: number[] } {
  const taken: number[] = [];
  const pool = [...free];
  return {
    range: { min: 30000, max: 32767 },
    owner: "default/web",
    taken,
    holder: (p) => (taken.includes(p) ? "default/web" : held[p]),
    take: (p) => void taken.push(p),
    next: () => {
      const p = pool.shift();
      if (p !== undefined) taken.push(p);
      return p;
    },
  };
}

function causesOf(fn: () => void): string[] {
  try {
    fn();
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`).concat(e.code === 500 ? [e.message] : []);
  }
}

describe("service CIDR", () => {
  it("parses the default range, leaving out its network and broadcast addresses", () => {
    const cidr = parseServiceCidr("10.96.0.0/12");
    expect(numberToIpv4(cidr.usable.min)).toBe("10.96.0.1");
    expect(numberToIpv4(cidr.usable.max)).toBe("10.111.255.254");
    expect(firstServiceIP(cidr)).toBe("10.96.0.1");
  });

  it("clears host bits and refuses what is not an IPv4 network", () => {
    expect(parseServiceCidr("10.43.7.9/16").text).toBe("10.43.0.0/16");
    expect(() => parseServiceCidr("fd00::/108")).toThrow(/invalid service CIDR/);
    expect(() => parseServiceCidr("10.0.0.0/31")).toThrow(/invalid service CIDR/);
    expect(() => parseServiceCidr("10.0.0.0")).toThrow(/invalid service CIDR/);
  });

  it("converts addresses both ways, up to 255.255.255.255", () => {
    for (const ip of ["0.0.0.0", "10.96.0.1", "192.168.1.254", "255.255.255.255"]) expect(numberToIpv4(ipv4ToNumber(ip)!)).toBe(ip);
    expect(ipv4ToNumber("10.96.0.256")).toBeUndefined();
    expect(ipv4ToNumber("fd00::1")).toBeUndefined();
  });

  it("reserves upstream's static band at the bottom", () => {
    expect(staticBand(parseServiceCidr("10.96.0.0/12").usable, 16, 256)).toBe(256);
    expect(staticBand(parseServiceCidr("10.96.0.0/24").usable, 16, 256)).toBe(16);
    expect(staticBand({ min: 30000, max: 32767 }, 32, 128)).toBe(86);
  });
});

describe("node port planning", () => {
  it("allocates one port per service port, shared by one number on two protocols", () => {
    const s = svc({ type: "NodePort", ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }, { port: 80, protocol: "TCP" }] });
    planNodePorts(s, undefined, planner());
    expect(s.spec.ports.map((p: Obj) => p.nodePort)).toEqual([31000, 31000, 31001]);
  });

  it("lets an unset port share a requested one of the same number", () => {
    const s = svc({ type: "NodePort", ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP", nodePort: 30053 }] });
    const p = planner();
    planNodePorts(s, undefined, p);
    expect(s.spec.ports.map((x: Obj) => x.nodePort)).toEqual([30053, 30053]);
    expect(p.taken).toEqual([30053]);
  });

  it("refuses a port another service holds, or one out of range", () => {
    const taken = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] });
    expect(causesOf(() => planNodePorts(taken, undefined, planner({ 30080: "default/other" })))).toEqual(["spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"]);
    const out = svc({ type: "NodePort", ports: [{ port: 80 }, { port: 81, nodePort: 29999 }] });
    expect(causesOf(() => planNodePorts(out, undefined, planner()))).toEqual([
      "spec.ports[1].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767",
    ]);
  });

  it("keeps an update's ports held before without asking again", () => {
    const old = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] });
    const next = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }, { port: 81 }] });
    const p = planner({ 30080: "default/web" });
    planNodePorts(next, old, p);
    expect(next.spec.ports.map((x: Obj) => x.nodePort)).toEqual([30080, 31000]);
  });

  it("gives a LoadBalancer without node port allocation only what it asks for", () => {
    const s = svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }, { port: 81, nodePort: 30081 }] });
    planNodePorts(s, undefined, planner());
    expect(s.spec.ports.map((x: Obj) => x.nodePort)).toEqual([undefined, 30081]);
  });

  it("says so when the range is full", () => {
    const s = svc({ type: "NodePort", ports: [{ port: 80 }] });
    expect(causesOf(() => planNodePorts(s, undefined, planner({}, [])))).toEqual(["Internal error occurred: failed to allocate a nodePort: range is full"]);
  });

  it("allocates a health check port, refuses a taken one and any change of it", () => {
    const s = svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", ports: [{ port: 80, nodePort: 31000 }] });
    planHealthCheckNodePort(s, undefined, planner({}, [31500]));
    expect(s.spec.healthCheckNodePort).toBe(31500);
    const asks = svc({ type: "LoadBalancer", externalTrafficPolicy: "Local", healthCheckNodePort: 30080, ports: [{ port: 80 }] });
    expect(causesOf(() => planHealthCheckNodePort(asks, undefined, planner({ 30080: "default/x" })))).toEqual([
      "Internal error occurred: failed to allocate requested HealthCheck NodePort 30080: provided port is already allocated",
    ]);
    const changed = svc({ ...s.spec, healthCheckNodePort: 31600 });
    expect(causesOf(() => planHealthCheckNodePort(changed, s, planner()))).toEqual([
      "spec.healthCheckNodePort: Invalid value: 31600: cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update",
    ]);
  });
});

describe("updates keep what was allocated", () => {
  it("copies the cluster IP and node ports by port name, not reusing a number the update took", () => {
    const old = svc({ type: "NodePort", clusterIP: "10.96.3.4", clusterIPs: ["10.96.3.4"], ports: [{ name: "a", port: 80, nodePort: 30001 }, { name: "b", port: 81, nodePort: 30002 }] });
    const next = svc({ type: "NodePort", ports: [{ name: "a", port: 80 }, { name: "b", port: 82, nodePort: 30001 }, { name: "c", port: 83 }] });
    patchAllocatedValues(next, old);
    expect(next.spec.clusterIP).toBe("10.96.3.4");
    expect(next.spec.clusterIPs).toEqual(["10.96.3.4"]);
    expect(next.spec.ports.map((p: Obj) => p.nodePort)).toEqual([undefined, 30001, undefined]);
  });

  it("copies nothing across a change to a type that does not use it", () => {
    const old = svc({ type: "NodePort", clusterIP: "10.96.3.4", ports: [{ port: 80, nodePort: 30001 }] });
    const next = svc({ type: "ClusterIP", ports: [{ port: 80 }] });
    patchAllocatedValues(next, old);
    expect(next.spec.ports[0].nodePort).toBeUndefined();
    expect(next.spec.clusterIP).toBe("10.96.3.4");
  });

  it("refuses a changed cluster IP", () => {
    const old = svc({ clusterIP: "10.96.3.4", ports: [{ port: 80 }] });
    expect(causesOf(() => prepareServiceUpdate(svc({ clusterIP: "10.96.3.5", ports: [{ port: 80 }] }), old))).toEqual(['spec.clusterIPs[0]: Invalid value: "10.96.3.5": field is immutable']);
    expect(causesOf(() => prepareServiceUpdate(svc({ clusterIP: "None", ports: [{ port: 80 }] }), old))).toEqual(['spec.clusterIPs[0]: Invalid value: "None": field is immutable']);
  });
});

describe("type changes drop what no longer applies, when the update left it as it was", () => {
  it("NodePort → ClusterIP drops node ports and the external traffic policy", () => {
    const old = svc({ type: "NodePort", externalTrafficPolicy: "Cluster", ports: [{ port: 80, nodePort: 30001 }] });
    const next = svc({ ...old.spec, type: "ClusterIP" });
    dropTypeDependentFields(next, old);
    expect(next.spec).toEqual({ type: "ClusterIP", ports: [{ port: 80 }] });
  });

  it("keeps a node port the update added, so validation can refuse it", () => {
    const old = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] });
    const next = svc({ type: "ClusterIP", ports: [{ port: 80, nodePort: 30002 }] });
    dropTypeDependentFields(next, old);
    expect(next.spec.ports[0].nodePort).toBe(30002);
  });

  it("ClusterIP → ExternalName drops the cluster IP and families", () => {
    const old = svc({ type: "ClusterIP", clusterIP: "10.96.3.4", clusterIPs: ["10.96.3.4"], ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" });
    const next = svc({ ...old.spec, type: "ExternalName", externalName: "db.example.com" });
    dropTypeDependentFields(next, old);
    expect(next.spec).toEqual({ type: "ExternalName", externalName: "db.example.com" });
  });

  it("LoadBalancer → NodePort drops the load-balancer fields and status", () => {
    const old: Obj = { ...svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: true, ports: [{ port: 80, nodePort: 30001 }] }), status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } };
    const next: Obj = { ...svc({ ...old.spec, type: "NodePort" }), status: structuredClone(old.status) };
    dropTypeDependentFields(next, old);
    expect(next.spec.allocateLoadBalancerNodePorts).toBeUndefined();
    expect(next.spec.ports[0].nodePort).toBe(30001);
    expect(next.status).toEqual({ loadBalancer: {} });
  });
});
