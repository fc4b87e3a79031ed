import { describe, expect, it } from "vitest";
import { desiredGroups, endpointFor, portsKey } from "../../src/controllers/endpointslice/desired";
import { findPort, shouldPodBeInEndpoints } from "../../src/controllers/endpointslice/pod-endpoints";
import { planSlices, sliceLabels } from "../../src/controllers/endpointslice/plan";
import { toTable } from "../../src/resources/printers";
import { findResource } from "../../src/resources/registry";

type Obj = Record<string, any>;

const svc = (spec: Obj, labels?: Record<string, string>): Obj => ({
  metadata: { name: "web", namespace: "default", uid: "svc-uid", ...(labels ? { labels } : {}) },
  spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], ...spec },
});

let n = 0;
function pod(opts: { ready?: boolean; ports?: Obj[]; deleting?: boolean; phase?: string; ip?: string | null; node?: string; sidecarPorts?: Obj[] } = {}): Obj {
  const i = ++n;
  const ip = opts.ip === undefined ? `10.244.0.${i}` : opts.ip;
  return {
    metadata: { name: `p${i}`, namespace: "default", uid: `uid-${i}`, labels: { app: "web" }, ...(opts.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: {
      nodeName: opts.node ?? "n1",
      containers: [{ name: "c", ports: opts.ports ?? [] }],
      ...(opts.sidecarPorts ? { initContainers: [{ name: "s", restartPolicy: "Always", ports: opts.sidecarPorts }] } : {}),
    },
    status: { phase: opts.phase ?? "Running", ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}), conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }] },
  };
}

const noZone = () => undefined;

describe("pod endpoints", () => {
  it("resolves target ports: numbers as is, names by container port and protocol, sidecars included", () => {
    const p = pod({ ports: [{ name: "http", containerPort: 8080 }, { name: "dns", containerPort: 5353, protocol: "UDP" }], sidecarPorts: [{ name: "metrics", containerPort: 9100 }] });
    expect(findPort(p, { port: 80, targetPort: 8081 })).toBe(8081);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 80, targetPort: "http", protocol: "TCP" })).toBe(8080);
    expect(findPort(p, { port: 53, targetPort: "dns", protocol: "TCP" })).toBeUndefined();
    expect(findPort(p, { port: 53, targetPort: "dns", protocol: "UDP" })).toBe(5353);
    expect(findPort(p, { port: 9100, targetPort: "metrics" })).toBe(9100);
    expect(findPort(p, { port: 80, targetPort: "nope" })).toBeUndefined();
  });

  it("leaves out pods without an address and finished pods; terminating ones only when asked", () => {
    expect(shouldPodBeInEndpoints(pod({ ip: null }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod({ phase: "Succeeded" }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod({ phase: "Failed" }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod({ deleting: true }), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod({ deleting: true }), false)).toBe(false);
  });

  it.each([
    ["ready", {}, {}, { ready: true, serving: true, terminating: false }],
    ["not ready", { ready: false }, {}, { ready: false, serving: false, terminating: false }],
    ["terminating", { deleting: true }, {}, { ready: false, serving: true, terminating: true }],
    ["not ready, published", { ready: false }, { publishNotReadyAddresses: true }, { ready: true, serving: true, terminating: false }],
    ["terminating, published", { deleting: true }, { publishNotReadyAddresses: true }, { ready: true, serving: true, terminating: true }],
  ])("conditions of a %s pod", (_, podOpts, spec, want) => {
    expect(endpointFor(svc(spec), pod(podOpts), undefined).conditions).toEqual(want);
  });

  it("carries the hostname only when the pod's subdomain is the service, and the node's zone", () => {
    const p = pod();
    p.spec.hostname = "db-0";
    p.spec.subdomain = "web";
    expect(endpointFor(svc({}), p, "zone-a")).toMatchObject({ hostname: "db-0", zone: "zone-a", nodeName: "n1" });
    p.spec.subdomain = "other";
    expect(endpointFor(svc({}), p, undefined).hostname).toBeUndefined();
  });

  it("groups pods by the ports they resolve", () => {
    const s = svc({ ports: [{ name: "http", port: 80, targetPort: "web", protocol: "TCP" }] });
    const a = pod({ ports: [{ name: "web", containerPort: 8080 }] });
    const b = pod({ ports: [{ name: "web", containerPort: 9090 }] });
    const c = pod({ ports: [] });
    const groups = desiredGroups(s, [a, b, c, pod({ ip: null })], noZone);
    expect([...groups.values()].map((g) => [g.ports.map((p) => p.port), g.endpoints.map((e) => e.addresses[0])])).toEqual([
      [[8080], [a.status.podIP]],
      [[9090], [b.status.podIP]],
      [[], [c.status.podIP]],
    ]);
  });
});

function existingSlice(name: string, ports: Obj[], endpoints: Obj[], s = svc({})): Obj {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: "default",
      resourceVersion: "5",
      labels: sliceLabels(s),
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "svc-uid", controller: true, blockOwnerDeletion: true }],
    },
    addressType: "IPv4",
    endpoints,
    ...(ports.length ? { ports } : {}),
  };
}

describe("slice planning", () => {
  const s = svc({});
  const ports = [{ name: "http", port: 8080, protocol: "TCP" }];

  it("creates a first slice with a generated name, labels and owner", () => {
    const p = pod();
    const plan = planSlices(s, desiredGroups(s, [p], noZone), []);
    expect(plan.update).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0].metadata).toEqual({
      generateName: "web-",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
      ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "svc-uid", controller: true, blockOwnerDeletion: true }],
    });
    expect(plan.create[0].ports).toEqual(ports);
  });

  it("writes nothing when the slices already say it all", () => {
    const pods = [pod(), pod()];
    const groups = desiredGroups(s, pods, noZone);
    const eps = [...groups.values()][0].endpoints;
    expect(planSlices(s, groups, [existingSlice("web-a", ports, [...eps].reverse())])).toEqual({ create: [], update: [], remove: [] });
  });

  it("updates only the slice whose endpoint changed, and fills slices with room before making new ones", () => {
    const pods = Array.from({ length: 5 }, () => pod());
    const groups = desiredGroups(s, pods, noZone);
    const eps = [...groups.values()][0].endpoints;
    const full = existingSlice("web-a", ports, eps.slice(0, 3));
    const roomy = existingSlice("web-b", ports, eps.slice(3, 4));
    const plan = planSlices(s, groups, [full, roomy], 3);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((x) => [x.metadata.name, x.endpoints.length])).toEqual([["web-b", 2]]);
    pods[0].status.conditions[0].status = "False";
    const again = planSlices(s, desiredGroups(s, pods, noZone), [full, { ...roomy, endpoints: eps.slice(3) }], 3);
    expect(again.update.map((x) => x.metadata.name)).toEqual(["web-a"]);
  });

  it("splits past the maximum, and removes slices left empty or with ports no pod has any more", () => {
    const pods = Array.from({ length: 7 }, () => pod());
    const stale = existingSlice("web-old", [{ name: "http", port: 9999, protocol: "TCP" }], [endpointFor(s, pod(), undefined)]);
    const plan = planSlices(s, desiredGroups(s, pods, noZone), [stale], 3);
    expect(plan.create.map((x) => x.endpoints.length)).toEqual([3, 3, 1]);
    expect(plan.remove.map((x) => x.metadata.name)).toEqual(["web-old"]);
  });

  it("keeps one placeholder slice for a service without endpoints", () => {
    const none = planSlices(s, new Map(), []);
    expect(none.create).toHaveLength(1);
    expect(none.create[0].endpoints).toEqual([]);
    expect(none.create[0].ports).toBeUndefined();
    const placeholder = existingSlice("web-a", [], []);
    const other = existingSlice("web-b", ports, [endpointFor(s, pod(), undefined)]);
    const plan = planSlices(s, new Map(), [other, placeholder]);
    expect(plan).toEqual({ create: [], update: [], remove: [other] });
  });

  it("relabels slices when the service's labels change, and marks headless services", () => {
    const headless = svc({ clusterIP: "None" }, { tier: "db", "kubernetes.io/service-name": "spoof" });
    expect(sliceLabels(headless)).toEqual({
      tier: "db",
      "service.kubernetes.io/headless": "",
      "kubernetes.io/service-name": "web",
      "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    });
    const p = pod();
    const groups = desiredGroups(headless, [p], noZone);
    const plan = planSlices(headless, groups, [existingSlice("web-a", ports, [...groups.values()][0].endpoints)]);
    expect(plan.update.map((x) => x.metadata.labels.tier)).toEqual(["db"]);
  });

  it("identifies groups by their ports in order", () => {
    expect(portsKey([{ name: "a", port: 1, protocol: "TCP" }])).not.toBe(portsKey([{ name: "a", port: 1, protocol: "UDP" }]));
    expect(portsKey(undefined)).toBe(portsKey([]));
  });

  it("prints a placeholder slice the way kubectl shows one", () => {
    const [placeholder] = planSlices(s, new Map(), []).create;
    const rt = findResource("discovery.k8s.io", "v1", "endpointslices")!;
    const table = toTable(rt, [{ ...placeholder, metadata: { ...placeholder.metadata, name: "web-abcde", creationTimestamp: "2026-01-01T00:00:00Z" } }], { now: new Date("2026-01-01T00:00:05Z") }) as any;
    expect(table.rows[0].cells).toEqual(["web-abcde", "IPv4", "<unset>", "<unset>", "5s"]);
  });
});
