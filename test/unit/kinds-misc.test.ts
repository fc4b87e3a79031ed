import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { defaultAndValidate } from "../../src/resources/kinds/index";
import { findKind } from "../../src/resources/registry";

function run(apiVersion: string, kind: string, obj: Record<string, unknown>, old?: Record<string, unknown>): string[] {
  try {
    defaultAndValidate(findKind(apiVersion, kind)!, obj, old);
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
}

const ns = (name: string) => ({ name, namespace: "default" });

describe("namespace", () => {
  it("gets the kubernetes finalizer, Active phase and name label", () => {
    const n: Record<string, any> = { metadata: { name: "team-a" } };
    expect(run("v1", "Namespace", n)).toEqual([]);
    expect(n.spec).toEqual({ finalizers: ["kubernetes"] });
    expect(n.status).toEqual({ phase: "Active" });
    expect(n.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
  });
  it("overwrites a lying name label", () => {
    const n: Record<string, any> = { metadata: { name: "a", labels: { "kubernetes.io/metadata.name": "b" } } };
    run("v1", "Namespace", n);
    expect(n.metadata.labels["kubernetes.io/metadata.name"]).toBe("a");
  });
});

describe("configmap and secret", () => {
  it.each([
    ["v1", "ConfigMap", { metadata: ns("c"), data: { "good.key": "v", "bad key": "v" } }, [expect.stringMatching(/^data\[bad key\]: Invalid value: "bad key": a valid config key must consist/)]],
    ["v1", "ConfigMap", { metadata: ns("c"), data: { a: "1" }, binaryData: { a: "MQ==" } }, ['binaryData[a]: Invalid value: "a": duplicate of key present in data']],
    ["v1", "ConfigMap", { metadata: ns("c"), data: { big: "x".repeat(1024 * 1024 + 1) } }, [": Too long: must have at most 1048576 bytes"]],
    ["v1", "Secret", { metadata: ns("s"), type: "kubernetes.io/tls", data: { "tls.crt": "eA==" } }, ["data[tls.key]: Required value"]],
    ["v1", "Secret", { metadata: ns("s"), data: { k: "not base64!" } }, ['data[k]: Invalid value: "<secret contents redacted>": illegal base64 data']],
  ])("%s %s", (v, k, o, want) => expect(run(v, k, o)).toEqual(want));

  it("defaults a Secret's type and folds stringData into data", () => {
    const s: Record<string, any> = { metadata: ns("s"), data: { a: "eA==" }, stringData: { b: "héllo", a: "y" } };
    expect(run("v1", "Secret", s)).toEqual([]);
    expect(s.type).toBe("Opaque");
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ a: "eQ==", b: "aMOpbGxv" });
  });

  it("freezes immutable objects and secret types", () => {
    const old = { metadata: ns("c"), immutable: true, data: { a: "1" } };
    expect(run("v1", "ConfigMap", { metadata: ns("c"), immutable: true, data: { a: "2" } }, old)).toEqual(["data: Forbidden: field is immutable when `immutable` is set"]);
    expect(run("v1", "Secret", { metadata: ns("s"), type: "Opaque" }, { metadata: ns("s"), type: "kubernetes.io/basic-auth" })).toEqual(['type: Invalid value: "Opaque": field is immutable']);
  });
});

describe("node, lease, endpoints", () => {
  it("defaults allocatable to capacity", () => {
    const n: Record<string, any> = { metadata: { name: "n1" }, status: { capacity: { cpu: "4" } } };
    expect(run("v1", "Node", n)).toEqual([]);
    expect(n.status.allocatable).toEqual({ cpu: "4" });
  });
  it.each([
    ["v1", "Node", { metadata: { name: "n1" }, spec: { taints: [{ key: "k", effect: "Sometimes" }] } }, ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']],
    ["coordination.k8s.io/v1", "Lease", { metadata: ns("l"), spec: { leaseDurationSeconds: 0 } }, ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"]],
    ["discovery.k8s.io/v1", "EndpointSlice", { metadata: ns("e"), addressType: "IPv5" }, ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']],
    ["discovery.k8s.io/v1", "EndpointSlice", { metadata: ns("e"), addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.999"] }] }, ['endpoints[0].addresses[0]: Invalid value: "10.0.0.999": must be a valid IPv4 address']],
    ["discovery.k8s.io/v1", "EndpointSlice", { metadata: ns("e"), addressType: "IPv4", endpoints: [{ addresses: [] }] }, ["endpoints[0].addresses: Required value: must contain at least 1 address"]],
  ])("%s %s", (v, k, o, want) => expect(run(v, k, o)).toEqual(want));
  it("defaults EndpointSlice port protocol and name", () => {
    const e: Record<string, any> = { metadata: ns("e"), addressType: "IPv4", ports: [{ port: 80 }] };
    expect(run("discovery.k8s.io/v1", "EndpointSlice", e)).toEqual([]);
    expect(e.ports).toEqual([{ port: 80, protocol: "TCP", name: "" }]);
    expect(run("discovery.k8s.io/v1", "EndpointSlice", { metadata: ns("e"), addressType: "IPv6" }, e)).toEqual(['addressType: Invalid value: "IPv6": field is immutable']);
  });
});

describe("horizontal pod autoscaler", () => {
  const hpa = (spec: Record<string, unknown>): Record<string, any> => ({ metadata: ns("h"), spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, maxReplicas: 5, ...spec } });
  it("defaults minReplicas, the CPU metric, and fills a partial behavior", () => {
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    expect(run("autoscaling/v2", "HorizontalPodAutoscaler", h)).toEqual([]);
    expect(h.spec.minReplicas).toBe(1);
    expect(h.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } } }]);
    expect(h.spec.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] });
    expect(h.spec.behavior.scaleUp).toEqual({ stabilizationWindowSeconds: 0, selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }, { type: "Percent", value: 100, periodSeconds: 15 }] });
  });
  it("leaves behavior absent when not given", () => {
    const h = hpa({});
    run("autoscaling/v2", "HorizontalPodAutoscaler", h);
    expect(h.spec.behavior).toBeUndefined();
  });
  it.each([
    ["min above max", { minReplicas: 6 }, ["spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"]],
    ["min zero", { minReplicas: 0 }, ["spec.minReplicas: Invalid value: 0: must be greater than or equal to 1"]],
    ["no target name", { scaleTargetRef: { kind: "Deployment" } }, ["spec.scaleTargetRef.name: Required value"]],
  ])("%s", (_, spec, want) => expect(run("autoscaling/v2", "HorizontalPodAutoscaler", hpa(spec))).toEqual(want));
});

describe("rbac", () => {
  const RBAC = "rbac.authorization.k8s.io/v1";
  it.each([
    ["Role", { metadata: ns("r"), rules: [{ apiGroups: [""], resources: ["pods"] }] }, ["rules[0].verbs: Required value: verbs must contain at least one value"]],
    ["Role", { metadata: ns("r"), rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] }, ['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs']],
    ["ClusterRole", { metadata: { name: "c" }, rules: [{ verbs: ["get"], resources: ["pods"] }] }, ["rules[0].apiGroups: Required value: resource rules must supply at least one api group"]],
    ["ClusterRoleBinding", { metadata: { name: "b" }, roleRef: { kind: "ClusterRole" } }, ["roleRef.name: Required value"]],
    ["ClusterRoleBinding", { metadata: { name: "b" }, roleRef: { kind: "Role", name: "x" } }, ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']],
    ["ClusterRoleBinding", { metadata: { name: "b" }, roleRef: { kind: "ClusterRole", name: "x" }, subjects: [{ kind: "ServiceAccount", name: "sa" }] }, ["subjects[0].namespace: Required value"]],
    ["RoleBinding", { metadata: ns("b"), roleRef: { kind: "Role", name: "x" }, subjects: [{ kind: "Robot", name: "r" }] }, ['subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']],
  ])("%s", (kind, o, want) => expect(run(RBAC, kind, o)).toEqual(want));

  it("defaults API groups and freezes roleRef", () => {
    const b: Record<string, any> = { metadata: ns("b"), roleRef: { kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "alice" }, { kind: "ServiceAccount", name: "sa" }] };
    expect(run(RBAC, "RoleBinding", b)).toEqual([]);
    expect(b.roleRef.apiGroup).toBe("rbac.authorization.k8s.io");
    expect(b.subjects).toEqual([{ kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" }, { kind: "ServiceAccount", name: "sa", apiGroup: "" }]);
    const changed = { ...structuredClone(b), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" } };
    expect(run(RBAC, "RoleBinding", changed, b)).toEqual(['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef']);
  });
});

describe("events", () => {
  it.each([
    ["v1", { metadata: ns("p.1"), involvedObject: { kind: "Pod", name: "p", namespace: "default" } }, []],
    ["v1", { metadata: ns("p.1"), involvedObject: { kind: "Pod", name: "p", namespace: "other" } }, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']],
    ["v1", { metadata: ns("n.1"), involvedObject: { kind: "Node", name: "n" } }, []],
    [
      "events.k8s.io/v1",
      { metadata: ns("e.1"), regarding: { kind: "Pod", name: "p", namespace: "default" }, type: "Info" },
      ["eventTime: Required value", 'type: Invalid value: "": has invalid value: Info', "reportingController: Required value", expect.stringMatching(/^reportingController: Invalid value: "": name part must be non-empty/), expect.stringMatching(/^reportingController: Invalid value: "": name part must consist/), "reportingInstance: Required value", "action: Required value", "reason: Required value"],
    ],
  ])("%s event", (v, o, want) => expect(run(v, "Event", o)).toEqual(want));
});
