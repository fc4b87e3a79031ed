import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { defaultAndValidate } from "../../src/resources/kinds/index";
import { findKind } from "../../src/resources/registry";

function run(obj: Record<string, unknown>, old?: Record<string, unknown>): string[] {
  try {
    defaultAndValidate(findKind("v1", "Service")!, obj, old);
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
}

const svc = (spec: Record<string, unknown>): Record<string, any> => ({ metadata: { name: "web", namespace: "default" }, spec });

describe("service defaults", () => {
  it.each([
    [
      "a ClusterIP service",
      { selector: { app: "web" }, ports: [{ port: 80 }] },
      { type: "ClusterIP", sessionAffinity: "None", internalTrafficPolicy: "Cluster", ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4"], ports: [{ port: 80, protocol: "TCP", targetPort: 80 }] },
    ],
    [
      "a NodePort service",
      { type: "NodePort", ports: [{ port: 80, targetPort: "http" }] },
      { type: "NodePort", externalTrafficPolicy: "Cluster", ports: [{ port: 80, protocol: "TCP", targetPort: "http" }] },
    ],
    ["a LoadBalancer service", { type: "LoadBalancer", ports: [{ port: 443 }] }, { externalTrafficPolicy: "Cluster", allocateLoadBalancerNodePorts: true }],
    ["a selectorless headless service", { clusterIP: "None" }, { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4"] }],
    ["a ClientIP affinity", { sessionAffinity: "ClientIP", ports: [{ port: 80 }] }, { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } }],
  ])("%s", (_, spec, want) => {
    const s = svc(spec);
    expect(run(s)).toEqual([]);
    expect(s.spec).toMatchObject(want);
  });

  it("leaves traffic and family fields off ExternalName services", () => {
    const s = svc({ type: "ExternalName", externalName: "db.example.com" });
    expect(run(s)).toEqual([]);
    expect(s.spec.ipFamilies).toBeUndefined();
    expect(s.spec.internalTrafficPolicy).toBeUndefined();
  });
});

describe("service validation", () => {
  it.each([
    ["no ports", {}, ["spec.ports: Required value"]],
    [
      "a port out of range (the defaulted targetPort inherits the problem, as upstream)",
      { ports: [{ port: 0 }] },
      ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive", "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"],
    ],
    ["a port above range", { ports: [{ port: 70000, targetPort: 8080 }] }, ["spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"]],
    ["unnamed ports when there are several", { ports: [{ port: 80 }, { port: 443, name: "https" }] }, ["spec.ports[0].name: Required value"]],
    [
      "duplicate ports",
      { ports: [{ port: 80, name: "a" }, { port: 80, name: "b" }] },
      ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'],
    ],
    ["the same port on two protocols", { ports: [{ port: 53, name: "dns", protocol: "UDP" }, { port: 53, name: "dns-tcp" }] }, []],
    ["duplicate port names", { ports: [{ port: 80, name: "a" }, { port: 81, name: "a" }] }, ['spec.ports[1].name: Duplicate value: "a"']],
    ["a nodePort out of range", { type: "NodePort", ports: [{ port: 80, nodePort: 80 }] }, ["spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"]],
    ["a nodePort on ClusterIP", { ports: [{ port: 80, nodePort: 30080 }] }, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ["an unknown type", { type: "Ingress", ports: [{ port: 80 }] }, ['spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ["an externalTrafficPolicy on ClusterIP", { externalTrafficPolicy: "Local", ports: [{ port: 80 }] }, ["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'"]],
    ["a bad cluster IP", { clusterIP: "10.0.0.300", ports: [{ port: 80 }] }, ['spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    ["an ExternalName without a name", { type: "ExternalName" }, ["spec.externalName: Required value"]],
    ["a headless service without ports", { clusterIP: "None", selector: { app: "db" } }, []],
    ["a bad selector label", { selector: { app: "a b" }, ports: [{ port: 80 }] }, [expect.stringMatching(/^spec.selector: Invalid value: "a b": a valid label must be/)]],
  ])("%s", (_, spec, want) => expect(run(svc(spec))).toEqual(want));

  it("refuses an explicit cluster IP change but accepts an omitted one", () => {
    const old = svc({ clusterIP: "10.96.0.10", ports: [{ port: 80 }] });
    run(old);
    expect(run(svc({ ports: [{ port: 80 }] }), old)).toEqual([]);
    expect(run(svc({ clusterIP: "10.96.0.11", ports: [{ port: 80 }] }), old)).toEqual(['spec.clusterIPs[0]: Invalid value: "10.96.0.11": field is immutable']);
  });
});
