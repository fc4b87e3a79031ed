import { describe, expect, it } from "vitest";
import { endpointsSubsets, MAX_ENDPOINT_ADDRESSES } from "../../src/controllers/endpoints/subsets";
import { loadBalancerStatus, servingAddress } from "../../src/controllers/service-lb/controller";

type Obj = Record<string, any>;

const svc = (spec: Obj): Obj => ({ metadata: { name: "web", namespace: "default" }, spec: { selector: { app: "web" }, ...spec } });

function pod(i: number, opts: { ready?: boolean; ports?: Obj[]; deleting?: boolean } = {}): Obj {
  return {
    metadata: { name: `p${i}`, namespace: "default", uid: `u${i}`, ...(opts.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "n1", containers: [{ name: "c", ports: opts.ports ?? [] }] },
    status: { phase: "Running", podIP: `10.244.${i >> 8}.${i & 255}`, conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  };
}

const ip = (i: number) => `10.244.${i >> 8}.${i & 255}`;

describe("Endpoints subsets", () => {
  it("puts ready pods in addresses and others in notReadyAddresses, sorted, one subset for one port set", () => {
    const { subsets } = endpointsSubsets(svc({ ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }, { name: "https", port: 443, protocol: "TCP" }] }), [pod(3), pod(1), pod(2, { ready: false })]);
    expect(subsets).toEqual([
      {
        addresses: [1, 3].map((i) => ({ ip: ip(i), nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: `p${i}`, uid: `u${i}` } })),
        notReadyAddresses: [{ ip: ip(2), nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "p2", uid: "u2" } }],
        ports: [
          { name: "http", port: 8080, protocol: "TCP" },
          { name: "https", port: 443, protocol: "TCP" },
        ],
      },
    ]);
  });

  it("splits pods whose named port resolves differently into subsets", () => {
    const s = svc({ ports: [{ port: 80, targetPort: "web", protocol: "TCP" }] });
    const { subsets } = endpointsSubsets(s, [pod(1, { ports: [{ name: "web", containerPort: 8080 }] }), pod(2, { ports: [{ name: "web", containerPort: 9090 }] }), pod(3)]);
    expect(subsets.map((x) => [x.addresses.map((a: Obj) => a.ip), x.ports])).toEqual([
      [[ip(1)], [{ port: 8080, protocol: "TCP" }]],
      [[ip(2)], [{ port: 9090, protocol: "TCP" }]],
    ]);
  });

  it("drops terminating pods unless not-ready addresses are published", () => {
    const ports = [{ port: 80, protocol: "TCP" }];
    expect(endpointsSubsets(svc({ ports }), [pod(1, { deleting: true })]).subsets).toEqual([]);
    const published = endpointsSubsets(svc({ ports, publishNotReadyAddresses: true }), [pod(1, { deleting: true }), pod(2, { ready: false })]).subsets;
    expect(published[0].addresses.map((a: Obj) => a.ip)).toEqual([ip(1), ip(2)]);
  });

  it("lists a headless service's pods without ports", () => {
    const { subsets } = endpointsSubsets(svc({ clusterIP: "None", ports: [] }), [pod(1)]);
    expect(subsets).toEqual([{ addresses: [{ ip: ip(1), nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "p1", uid: "u1" } }] }]);
  });

  it("truncates past 1000 addresses, keeping ready ones first", () => {
    const pods = Array.from({ length: MAX_ENDPOINT_ADDRESSES + 5 }, (_, i) => pod(i + 1, { ready: i >= 10 }));
    const { subsets, truncated } = endpointsSubsets(svc({ ports: [{ port: 80, protocol: "TCP" }] }), pods);
    expect(truncated).toBe(true);
    expect(subsets[0].addresses).toHaveLength(995);
    expect(subsets[0].notReadyAddresses).toHaveLength(5);
  });
});

describe("LoadBalancer status", () => {
  const node = (name: string, ip: string | undefined, extra: { ready?: boolean; unschedulable?: boolean; labels?: Obj } = {}): Obj => ({
    metadata: { name, labels: extra.labels ?? {} },
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: { conditions: [{ type: "Ready", status: extra.ready === false ? "False" : "True" }], addresses: ip ? [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }] : [] },
  });

  it("lists distinct InternalIPs of Ready, schedulable nodes in address order", () => {
    const nodes = [
      node("a", "192.168.1.10"),
      node("b", "192.168.1.9"),
      node("c", "192.168.1.9"),
      node("d", "192.168.1.50", { ready: false }),
      node("e", "192.168.1.51", { unschedulable: true }),
      node("f", "192.168.1.52", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
      node("g", undefined),
    ];
    expect(loadBalancerStatus(nodes)).toEqual({ ingress: [{ ip: "192.168.1.9", ipMode: "VIP" }, { ip: "192.168.1.10", ipMode: "VIP" }] });
    expect(servingAddress(nodes[3])).toBeUndefined();
  });

  it("is empty without a serving node", () => {
    expect(loadBalancerStatus([])).toEqual({});
  });
});
