import { describe, expect, it } from "vitest";
import { catalogNode, endpointEntries, serviceEntry, sliceServiceKey } from "../../agent/services/catalog-objects";

describe("catalog entries from API objects", () => {
  it("a NodePort service with ClientIP affinity, external IPs and a load-balancer status", () => {
    const svc = {
      metadata: { namespace: "shop", name: "web" },
      spec: {
        type: "LoadBalancer",
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10"],
        ports: [
          { name: "http", port: 80, targetPort: "http", nodePort: 30080 },
          { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
          { name: "bare", port: 81 },
        ],
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        externalIPs: ["192.0.2.50"],
        externalTrafficPolicy: "Local",
        internalTrafficPolicy: "Cluster",
      },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.60" }, { hostname: "lb.example" }] } },
    };
    expect(serviceEntry(svc)).toEqual({
      namespace: "shop",
      name: "web",
      type: "LoadBalancer",
      clusterIPs: ["10.96.0.10"],
      headless: false,
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: "http", nodePort: 30080 },
        { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
        { name: "bare", port: 81, protocol: "TCP", targetPort: 81 },
      ],
      sessionAffinity: "ClientIP",
      affinityTimeoutSeconds: 60,
      loadBalancerIPs: ["192.0.2.60"],
      externalIPs: ["192.0.2.50"],
      externalTrafficPolicy: "Local",
      internalTrafficPolicy: "Cluster",
    });
  });

  it("headless and ExternalName services, and the defaults of a bare spec", () => {
    expect(serviceEntry({ metadata: { namespace: "a", name: "h" }, spec: { clusterIP: "None", clusterIPs: ["None"] } })).toMatchObject({ headless: true, clusterIPs: [], type: "ClusterIP" });
    expect(serviceEntry({ metadata: { namespace: "a", name: "x" }, spec: { type: "ExternalName", externalName: "db.example.com" } })).toMatchObject({
      type: "ExternalName",
      externalName: "db.example.com",
      clusterIPs: [],
      headless: false,
    });
    expect(serviceEntry({ metadata: { namespace: "a", name: "c" }, spec: { clusterIP: "10.96.0.7", sessionAffinity: "ClientIP" } })).toMatchObject({
      clusterIPs: ["10.96.0.7"],
      ports: [],
      affinityTimeoutSeconds: 10800,
    });
    expect(serviceEntry({ metadata: {} })).toBeUndefined();
  });

  it("endpoints of a slice: unset conditions count as ready and serving, and each carries the slice's ports", () => {
    const slice = {
      metadata: { namespace: "shop", name: "web-abc", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, { port: 53 }],
      endpoints: [
        { addresses: ["10.244.1.2"], nodeName: "n1", hostname: "web-0" },
        { addresses: ["10.244.1.3"], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ["10.244.1.4"], conditions: { ready: false } },
        { addresses: [] },
      ],
    };
    expect(sliceServiceKey(slice)).toBe("shop/web");
    expect(endpointEntries(slice)).toEqual([
      { addresses: ["10.244.1.2"], ready: true, serving: true, terminating: false, nodeName: "n1", hostname: "web-0", ports: [{ name: "http", port: 8080, protocol: "TCP" }, { port: 53, protocol: "TCP" }] },
      { addresses: ["10.244.1.3"], ready: false, serving: true, terminating: true, ports: [{ name: "http", port: 8080, protocol: "TCP" }, { port: 53, protocol: "TCP" }] },
      { addresses: ["10.244.1.4"], ready: false, serving: false, terminating: false, ports: [{ name: "http", port: 8080, protocol: "TCP" }, { port: 53, protocol: "TCP" }] },
    ]);
    expect(endpointEntries({ ...slice, addressType: "FQDN" })).toEqual([]);
    expect(sliceServiceKey({ metadata: { namespace: "shop", name: "orphan" } })).toBeUndefined();
  });

  it("a node's podCIDR, IPv4 InternalIP and readiness", () => {
    expect(
      catalogNode({
        metadata: { name: "n1" },
        spec: { podCIDR: "10.244.1.0/24" },
        status: {
          addresses: [{ type: "Hostname", address: "n1" }, { type: "InternalIP", address: "fd00::2" }, { type: "InternalIP", address: "192.0.2.2" }],
          conditions: [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }],
        },
      }),
    ).toEqual({ name: "n1", podCIDR: "10.244.1.0/24", internalIP: "192.0.2.2", ready: true });
    expect(catalogNode({ metadata: { name: "n2" }, spec: { podCIDRs: ["10.244.2.0/24"] }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } })).toEqual({
      name: "n2",
      podCIDR: "10.244.2.0/24",
      ready: false,
    });
  });
});
