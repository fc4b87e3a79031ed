import { describe, expect, it } from "vitest";
import { toTable } from "../../src/resources/printers";
import { findResource, type ResourceType } from "../../src/resources/registry";

const NOW = new Date("2024-05-01T12:00:00Z");
const MIN = 60_000;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

type Obj = Record<string, unknown>;
interface Table {
  kind: string;
  apiVersion: string;
  metadata: Obj;
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: unknown[]; object?: Obj; conditions?: unknown }[];
}

function rt(group: string, version: string, resource: string): ResourceType {
  const r = findResource(group, version, resource);
  if (!r) throw new Error(`${group}/${version}/${resource}`);
  return r;
}
function table(r: ResourceType, objs: Obj[], opts: Partial<Parameters<typeof toTable>[2]> = {}): Table {
  return toTable(r, objs, { now: NOW, ...opts }) as unknown as Table;
}
function columns(r: ResourceType): [string, number][] {
  return table(r, []).columnDefinitions.map((c) => [c.name, c.priority]);
}
function cells(r: ResourceType, obj: Obj): unknown[] {
  return table(r, [obj]).rows[0].cells;
}
const meta = (name: string, extra: Obj = {}): Obj => ({ name, namespace: "default", uid: `u-${name}`, resourceVersion: "7", creationTimestamp: ago(5 * MIN), ...extra });

describe("Table envelope", () => {
  const pods = rt("", "v1", "pods");
  const p = { metadata: meta("web-1", { labels: { app: "web" } }), spec: { containers: [{ name: "c" }] }, status: {} };

  it("wraps rows with list metadata and PartialObjectMetadata objects by default", () => {
    const t = table(pods, [p], { listMeta: { resourceVersion: "108", continue: "tok" } });
    expect(t.kind).toBe("Table");
    expect(t.apiVersion).toBe("meta.k8s.io/v1");
    expect(t.metadata).toEqual({ resourceVersion: "108", continue: "tok" });
    expect(t.rows[0].object).toEqual({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: p.metadata });
    for (const c of t.columnDefinitions) expect(Object.keys(c)).toEqual(["name", "type", "format", "description", "priority"]);
  });

  it("embeds the full object, or nothing, on request", () => {
    expect(table(pods, [p], { includeObject: "Object" }).rows[0].object).toBe(p);
    expect("object" in table(pods, [p], { includeObject: "None" }).rows[0]).toBe(false);
  });

  it("omits headers for later watch events and empty continue tokens", () => {
    const t = table(pods, [p], { withHeaders: false, listMeta: { resourceVersion: "9", continue: "" } });
    expect(t.columnDefinitions).toEqual([]);
    expect(t.rows[0].cells[0]).toBe("web-1");
    expect(t.metadata).toEqual({ resourceVersion: "9" });
  });

  it("returns an empty table for no objects", () => {
    expect(table(pods, []).rows).toEqual([]);
  });
});

describe("deployments and replicasets", () => {
  const deploy = rt("apps", "v1", "deployments");
  const rs = rt("apps", "v1", "replicasets");
  const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }, { name: "log", image: "busybox" }] } };

  it("declares columns", () => {
    expect(columns(deploy)).toEqual([["Name", 0], ["Ready", 0], ["Up-to-date", 0], ["Available", 0], ["Age", 0], ["Containers", 1], ["Images", 1], ["Selector", 1]]);
    expect(columns(rs)).toEqual([["Name", 0], ["Desired", 0], ["Current", 0], ["Ready", 0], ["Age", 0], ["Containers", 1], ["Images", 1], ["Selector", 1]]);
    expect(table(rs, []).columnDefinitions[1].type).toBe("integer");
  });

  it("prints a deployment mid-rollout", () => {
    const d = {
      metadata: meta("web"),
      spec: { replicas: 3, selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] }, template },
      status: { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1 },
    };
    expect(cells(deploy, d)).toEqual(["web", "3/3", 2, 3, "5m", "web,log", "nginx:1.27,busybox", "app=web,tier notin (db)"]);
  });

  it("prints a fresh deployment with zero status", () => {
    const d = { metadata: meta("new"), spec: { replicas: 2, selector: { matchLabels: { app: "new" } }, template }, status: {} };
    expect(cells(deploy, d).slice(0, 4)).toEqual(["new", "0/2", 0, 0]);
  });

  it("prints replica sets, with <none> for an empty selector", () => {
    const r = { metadata: meta("web-7d9f"), spec: { replicas: 3, selector: { matchLabels: { app: "web", "pod-template-hash": "7d9f" } }, template }, status: { replicas: 3, readyReplicas: 2 } };
    expect(cells(rs, r)).toEqual(["web-7d9f", 3, 3, 2, "5m", "web,log", "nginx:1.27,busybox", "app=web,pod-template-hash=7d9f"]);
    expect(cells(rs, { metadata: meta("x"), spec: { replicas: 0, selector: {} } }).slice(1, 4)).toEqual([0, 0, 0]);
    expect(cells(rs, { metadata: meta("x"), spec: { replicas: 0, selector: {} } })[7]).toBe("<none>");
    expect(cells(rs, { metadata: meta("x"), spec: { selector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } } })[7]).toBe("<error>");
  });
});

describe("services", () => {
  const svc = rt("", "v1", "services");
  it("declares columns", () => {
    expect(columns(svc)).toEqual([["Name", 0], ["Type", 0], ["Cluster-IP", 0], ["External-IP", 0], ["Port(s)", 0], ["Age", 0], ["Selector", 1]]);
  });

  it.each([
    [
      "ClusterIP",
      { type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"], ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: "web" } },
      {},
      ["ClusterIP", "10.96.0.10", "<none>", "80/TCP", "app=web"],
    ],
    [
      "NodePort",
      { type: "NodePort", clusterIP: "10.96.0.11", ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }, { port: 53, protocol: "UDP", nodePort: 30053 }], selector: { tier: "fe", app: "web" } },
      {},
      ["NodePort", "10.96.0.11", "<none>", "80:30080/TCP,53:30053/UDP", "app=web,tier=fe"],
    ],
    ["LoadBalancer pending", { type: "LoadBalancer", clusterIPs: ["10.96.0.12"], ports: [{ port: 443, nodePort: 31443 }] }, {}, ["LoadBalancer", "10.96.0.12", "<pending>", "443:31443/TCP", "<none>"]],
    [
      "LoadBalancer ready",
      { type: "LoadBalancer", clusterIPs: ["10.96.0.13"], ports: [{ port: 80, protocol: "TCP" }], externalIPs: ["5.6.7.8"] },
      { loadBalancer: { ingress: [{ ip: "1.2.3.4" }, { hostname: "lb.example.com" }] } },
      ["LoadBalancer", "10.96.0.13", "1.2.3.4,lb.example.com,5.6.7.8", "80/TCP", "<none>"],
    ],
    ["headless", { type: "ClusterIP", clusterIP: "None", clusterIPs: ["None"], ports: [] }, {}, ["ClusterIP", "None", "<none>", "<none>", "<none>"]],
    ["ExternalName", { type: "ExternalName", externalName: "db.example.com" }, {}, ["ExternalName", "<none>", "db.example.com", "<none>", "<none>"]],
    ["external IPs on ClusterIP", { clusterIP: "10.96.0.14", externalIPs: ["9.9.9.9", "8.8.8.8"], ports: [{ port: 80 }] }, {}, ["ClusterIP", "10.96.0.14", "9.9.9.9,8.8.8.8", "80/TCP", "<none>"]],
  ])("%s", (_label, spec, status, want) => {
    const c = cells(svc, { metadata: meta("s"), spec, status });
    expect([c[1], c[2], c[3], c[4], c[6]]).toEqual(want);
    expect(c[0]).toBe("s");
    expect(c[5]).toBe("5m");
  });
});

describe("nodes", () => {
  const nodes = rt("", "v1", "nodes");
  const node = (extra: { labels?: Obj; unschedulable?: boolean; conditions?: Obj[] } = {}): Obj => ({
    metadata: { name: "node-1", uid: "n1", creationTimestamp: ago(3 * 24 * 3600_000 + 4 * 3600_000), labels: extra.labels ?? {} },
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: extra.conditions ?? [{ type: "MemoryPressure", status: "False" }, { type: "Ready", status: "True" }],
      addresses: [
        { type: "Hostname", address: "node-1" },
        { type: "InternalIP", address: "192.168.1.10" },
      ],
      nodeInfo: { kubeletVersion: "v1.32.0", osImage: "Debian GNU/Linux 12 (bookworm)", kernelVersion: "6.1.0-18-amd64", containerRuntimeVersion: "containerd://1.7.13" },
    },
  });

  it("declares columns", () => {
    expect(columns(nodes)).toEqual([
      ["Name", 0], ["Status", 0], ["Roles", 0], ["Age", 0], ["Version", 0],
      ["Internal-IP", 1], ["External-IP", 1], ["OS-Image", 1], ["Kernel-Version", 1], ["Container-Runtime", 1],
    ]);
  });

  it("prints a ready worker", () => {
    expect(cells(nodes, node())).toEqual(["node-1", "Ready", "<none>", "3d4h", "v1.32.0", "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64", "containerd://1.7.13"]);
  });

  it("prints a cordoned control-plane node with roles", () => {
    const n = node({ unschedulable: true, labels: { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "", "kubernetes.io/role": "master", "node-role.kubernetes.io/": "x" } });
    const c = cells(nodes, n);
    expect(c[1]).toBe("Ready,SchedulingDisabled");
    expect(c[2]).toBe("control-plane,etcd,master");
  });

  it("prints NotReady and Unknown", () => {
    expect(cells(nodes, node({ conditions: [{ type: "Ready", status: "False" }] }))[1]).toBe("NotReady");
    expect(cells(nodes, node({ conditions: [{ type: "Ready", status: "Unknown" }] }))[1]).toBe("NotReady");
    expect(cells(nodes, node({ conditions: [], unschedulable: true }))[1]).toBe("Unknown,SchedulingDisabled");
  });

  it("prints <unknown> for missing node info", () => {
    expect(cells(nodes, { metadata: { name: "bare" } }).slice(4)).toEqual(["", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]);
  });
});

describe("events", () => {
  const core = rt("", "v1", "events");
  const v1 = rt("events.k8s.io", "v1", "events");

  it("declares upstream's event columns", () => {
    const want = [["Last Seen", 0], ["Type", 0], ["Reason", 0], ["Object", 0], ["Subobject", 1], ["Source", 1], ["Message", 0], ["First Seen", 1], ["Count", 1], ["Name", 1]];
    expect(columns(core)).toEqual(want);
    expect(columns(v1)).toEqual(want);
    expect(table(core, []).columnDefinitions[9].format).toBe("name");
    expect(table(core, []).columnDefinitions[0].format).toBe("");
  });

  it("prints a core event", () => {
    const ev = {
      metadata: meta("web-1.17c1"),
      involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: "u", fieldPath: "spec.containers{web}" },
      reason: "Pulled",
      message: "  Successfully pulled image \"nginx\"\n",
      source: { component: "kubelet", host: "node-1" },
      firstTimestamp: ago(10 * MIN),
      lastTimestamp: ago(2 * MIN),
      count: 3,
      type: "Normal",
    };
    expect(cells(core, ev)).toEqual(["2m", "Normal", "Pulled", "pod/web-1", "spec.containers{web}", "kubelet, node-1", 'Successfully pulled image "nginx"', "10m", 3, "web-1.17c1"]);
  });

  it("falls back to eventTime, series and the reporting controller", () => {
    const ev = {
      metadata: meta("e2"),
      involvedObject: { kind: "Deployment", name: "web" },
      reason: "ScalingReplicaSet",
      message: "Scaled up replica set web-7d9f to 3",
      eventTime: "2024-05-01T11:57:59.500000Z",
      reportingComponent: "deployment-controller",
      type: "Normal",
    };
    expect(cells(core, ev)).toEqual(["2m", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller", "Scaled up replica set web-7d9f to 3", "2m", 1, "e2"]);
    const series = { ...ev, series: { count: 5, lastObservedTime: "2024-05-01T11:59:30.000000Z" } };
    const c = cells(core, series);
    expect([c[0], c[8]]).toEqual(["30s", 5]);
    expect(cells(core, { metadata: meta("e3"), involvedObject: { kind: "Node" } })[3]).toBe("node");
    expect(cells(core, { metadata: meta("e3"), involvedObject: { kind: "Node" } })[0]).toBe("<unknown>");
  });

  it("prints an events.k8s.io event through the same columns", () => {
    const ev = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: meta("e4"),
      regarding: { kind: "Pod", name: "web-1", fieldPath: "spec.containers{web}" },
      note: "Started container web",
      reason: "Started",
      type: "Normal",
      eventTime: ago(90_000),
      reportingController: "kubelet",
      reportingInstance: "node-1",
      deprecatedCount: 2,
      deprecatedFirstTimestamp: ago(4 * MIN),
      deprecatedLastTimestamp: ago(MIN),
    };
    expect(cells(v1, ev)).toEqual(["60s", "Normal", "Started", "pod/web-1", "spec.containers{web}", "kubelet, node-1", "Started container web", "4m", 2, "e4"]);
  });
});

describe("small kinds", () => {
  it("namespaces", () => {
    const ns = rt("", "v1", "namespaces");
    expect(columns(ns)).toEqual([["Name", 0], ["Status", 0], ["Age", 0]]);
    expect(cells(ns, { metadata: { name: "kube-system", creationTimestamp: ago(400 * 24 * 3600_000) }, status: { phase: "Active" } })).toEqual(["kube-system", "Active", "400d"]);
    expect(cells(ns, { metadata: { name: "gone", creationTimestamp: ago(MIN), deletionTimestamp: ago(1000) }, status: { phase: "Terminating" } })[1]).toBe("Terminating");
  });

  it("configmaps count data and binaryData", () => {
    const cm = rt("", "v1", "configmaps");
    expect(columns(cm)).toEqual([["Name", 0], ["Data", 0], ["Age", 0]]);
    expect(cells(cm, { metadata: meta("cfg"), data: { a: "1", b: "2" }, binaryData: { c: "AA==" } })).toEqual(["cfg", 3, "5m"]);
    expect(cells(cm, { metadata: meta("empty") })).toEqual(["empty", 0, "5m"]);
  });

  it("secrets print type and data count", () => {
    const s = rt("", "v1", "secrets");
    expect(columns(s)).toEqual([["Name", 0], ["Type", 0], ["Data", 0], ["Age", 0]]);
    expect(cells(s, { metadata: meta("tls"), type: "kubernetes.io/tls", data: { "tls.crt": "x", "tls.key": "y" } })).toEqual(["tls", "kubernetes.io/tls", 2, "5m"]);
  });

  it("service accounts count secrets", () => {
    const sa = rt("", "v1", "serviceaccounts");
    expect(columns(sa)).toEqual([["Name", 0], ["Secrets", 0], ["Age", 0]]);
    expect(cells(sa, { metadata: meta("default") })).toEqual(["default", 0, "5m"]);
    expect(cells(sa, { metadata: meta("ci"), secrets: [{ name: "ci-token" }] })).toEqual(["ci", 1, "5m"]);
  });

  it("leases print the holder", () => {
    const l = rt("coordination.k8s.io", "v1", "leases");
    expect(columns(l)).toEqual([["Name", 0], ["Holder", 0], ["Age", 0]]);
    expect(cells(l, { metadata: meta("node-1"), spec: { holderIdentity: "node-1", leaseDurationSeconds: 40 } })).toEqual(["node-1", "node-1", "5m"]);
    expect(cells(l, { metadata: meta("free"), spec: {} })).toEqual(["free", "", "5m"]);
  });
});

describe("endpoints and endpoint slices", () => {
  const ep = rt("", "v1", "endpoints");
  const eps = rt("discovery.k8s.io", "v1", "endpointslices");

  it("prints ip:port pairs, at most three", () => {
    expect(columns(ep)).toEqual([["Name", 0], ["Endpoints", 0], ["Age", 0]]);
    const one = { metadata: meta("web"), subsets: [{ addresses: [{ ip: "10.1.0.5" }, { ip: "10.1.0.6" }], ports: [{ port: 8080, protocol: "TCP" }] }] };
    expect(cells(ep, one)[1]).toBe("10.1.0.5:8080,10.1.0.6:8080");
    const many = { metadata: meta("web"), subsets: [{ addresses: [{ ip: "10.1.0.5" }, { ip: "10.1.0.6" }, { ip: "fd00::7" }], ports: [{ port: 80 }, { port: 443 }] }] };
    expect(cells(ep, many)[1]).toBe("10.1.0.5:80,10.1.0.6:80,[fd00::7]:80 + 3 more...");
    expect(cells(ep, { metadata: meta("none") })[1]).toBe("<none>");
    expect(cells(ep, { metadata: meta("headless"), subsets: [{ addresses: [{ ip: "10.1.0.9" }] }] })[1]).toBe("10.1.0.9");
    expect(cells(ep, { metadata: meta("notready"), subsets: [{ notReadyAddresses: [{ ip: "10.1.0.9" }], ports: [{ port: 80 }] }] })[1]).toBe("");
  });

  it("prints slices with ports, addresses and <unset>", () => {
    expect(columns(eps)).toEqual([["Name", 0], ["AddressType", 0], ["Ports", 0], ["Endpoints", 0], ["Age", 0]]);
    const slice = {
      metadata: meta("web-abc12"),
      addressType: "IPv4",
      ports: [{ name: "http", port: 8080, protocol: "TCP" }, { name: "metrics" }, {}],
      endpoints: [{ addresses: ["10.1.0.5"] }, { addresses: ["10.1.0.6", "10.1.0.7"] }, { addresses: ["10.1.0.8"] }],
    };
    expect(cells(eps, slice)).toEqual(["web-abc12", "IPv4", "8080,metrics,*", "10.1.0.5,10.1.0.6,10.1.0.7 + 1 more...", "5m"]);
    expect(cells(eps, { metadata: meta("empty"), addressType: "IPv4" })).toEqual(["empty", "IPv4", "<unset>", "<unset>", "5m"]);
  });
});

describe("horizontal pod autoscalers", () => {
  const hpa = rt("autoscaling", "v2", "horizontalpodautoscalers");
  const base = (spec: Obj, status: Obj = {}): Obj => ({
    metadata: meta("web"),
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 2, maxReplicas: 10, ...spec },
    status,
  });

  it("declares columns", () => {
    expect(columns(hpa)).toEqual([["Name", 0], ["Reference", 0], ["Targets", 0], ["MinPods", 0], ["MaxPods", 0], ["Replicas", 0], ["Age", 0]]);
  });

  it("prints a CPU utilization target before and after measurement", () => {
    const metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } } }];
    expect(cells(hpa, base({ metrics }))).toEqual(["web", "Deployment/web", "cpu: <unknown>/50%", "2", 10, 0, "5m"]);
    const measured = base({ metrics }, { currentReplicas: 3, currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 23, averageValue: "115m" } } }] });
    expect(cells(hpa, measured).slice(2, 6)).toEqual(["cpu: 23%/50%", "2", 10, 3]);
  });

  it("prints value targets, pods metrics, overflow and the empty cases", () => {
    const metrics = [
      { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "500Mi" } } },
      { type: "Pods", pods: { metric: { name: "rps" }, target: { type: "AverageValue", averageValue: "10" } } },
      { type: "External", external: { metric: { name: "queue" }, target: { type: "Value", value: "30" } } },
    ];
    const status = { currentMetrics: [{ type: "Resource", resource: { name: "memory", current: { averageValue: "200Mi" } } }] };
    expect(cells(hpa, base({ metrics }, status))[2]).toBe("memory: 200Mi/500Mi, <unknown>/10 + 1 more...");
    expect(cells(hpa, base({ metrics: [] }))[2]).toBe("<none>");
    expect(cells(hpa, base({ minReplicas: undefined }))[3]).toBe("<unset>");
    const external = [{ type: "External", external: { metric: { name: "q" }, target: { type: "AverageValue", averageValue: "5" } } }];
    expect(cells(hpa, base({ metrics: external }))[2]).toBe("<unknown>/5 (avg)");
  });
});

describe("rbac", () => {
  const roles = rt("rbac.authorization.k8s.io", "v1", "roles");
  const clusterRoles = rt("rbac.authorization.k8s.io", "v1", "clusterroles");
  const rb = rt("rbac.authorization.k8s.io", "v1", "rolebindings");
  const crb = rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings");

  it("prints roles with the default Name / Created At columns", () => {
    for (const r of [roles, clusterRoles]) {
      const t = table(r, [{ metadata: { name: "reader", creationTimestamp: "2024-04-30T09:08:07Z" }, rules: [] }]);
      expect(t.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
        ["Name", "string", "name", 0],
        ["Created At", "date", "", 0],
      ]);
      expect(t.rows[0].cells).toEqual(["reader", "2024-04-30T09:08:07Z"]);
    }
    expect(cells(roles, { metadata: { name: "x", creationTimestamp: "2024-04-30T09:08:07.5Z" } })[1]).toBe("2024-04-30T09:08:07Z");
  });

  it("prints bindings with role and split subjects", () => {
    const want = [["Name", 0], ["Role", 0], ["Age", 0], ["Users", 1], ["Groups", 1], ["ServiceAccounts", 1]];
    expect(columns(rb)).toEqual(want);
    expect(columns(crb)).toEqual(want);
    const b = {
      metadata: meta("read-pods"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
      subjects: [
        { kind: "User", name: "jane" },
        { kind: "User", name: "bob" },
        { kind: "Group", name: "devs" },
        { kind: "ServiceAccount", name: "ci", namespace: "tools" },
      ],
    };
    expect(cells(rb, b)).toEqual(["read-pods", "Role/pod-reader", "5m", "jane, bob", "devs", "tools/ci"]);
    expect(cells(crb, { metadata: meta("admin"), roleRef: { kind: "ClusterRole", name: "cluster-admin" } })).toEqual(["admin", "ClusterRole/cluster-admin", "5m", "", "", ""]);
  });
});
