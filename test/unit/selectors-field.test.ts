import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { parseFieldSelector } from "../../src/lib/selectors";
import { findResource, type ResourceType } from "../../src/resources/registry";

function rt(group: string, resource: string): ResourceType {
  const version = group === "" ? "v1" : group === "autoscaling" ? "v2" : "v1";
  const found = findResource(group, version, resource);
  if (!found) throw new Error(`no ${group}/${resource}`);
  return found;
}

const PODS = rt("", "pods");
const pod = {
  metadata: { name: "web-1", namespace: "default" },
  spec: { nodeName: "node-1", restartPolicy: "Always", schedulerName: "default-scheduler", serviceAccountName: "default", hostNetwork: true },
  status: { phase: "Running", podIPs: [{ ip: "10.1.0.5" }], podIP: "10.1.0.5", nominatedNodeName: "node-2" },
};

function rejects(s: string, r: ResourceType): string {
  try {
    parseFieldSelector(s, r);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(400);
    return (e as StatusError).message;
  }
  throw new Error(`expected ${s} to be rejected`);
}

describe("parseFieldSelector: grammar", () => {
  it.each([
    ["", []],
    ["metadata.name=web-1", [{ field: "metadata.name", op: "=", value: "web-1" }]],
    ["metadata.name==web-1", [{ field: "metadata.name", op: "=", value: "web-1" }]],
    ["metadata.name!=web-1", [{ field: "metadata.name", op: "!=", value: "web-1" }]],
    ["metadata.name=", [{ field: "metadata.name", op: "=", value: "" }]],
    [",metadata.name=a,", [{ field: "metadata.name", op: "=", value: "a" }]],
    [
      "status.phase!=Succeeded,spec.nodeName=n1,status.phase!=Failed",
      [
        { field: "spec.nodeName", op: "=", value: "n1" },
        { field: "status.phase", op: "!=", value: "Failed" },
        { field: "status.phase", op: "!=", value: "Succeeded" },
      ],
    ],
    ["metadata.name=a\\,b", [{ field: "metadata.name", op: "=", value: "a,b" }]],
    ["metadata.name=a\\=b\\\\c", [{ field: "metadata.name", op: "=", value: "a=b\\c" }]],
    ["spec.host=n1", [{ field: "spec.nodeName", op: "=", value: "n1" }]],
  ])("%j", (s, want) => {
    const sel = parseFieldSelector(s, PODS);
    expect(sel.requirements).toEqual(want);
    expect(sel.empty).toBe(want.length === 0);
  });

  it("treats undefined as empty", () => {
    const sel = parseFieldSelector(undefined, PODS);
    expect(sel.empty).toBe(true);
    expect(sel.matches(pod)).toBe(true);
  });

  it.each([
    ["metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ["a=b,garbage", "invalid selector: 'a=b,garbage'; can't understand 'garbage'"],
    ["metadata.name=a=b", "invalid field selector: unescaped character in value: 61"],
    ["metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"],
    ["metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"],
    ["spec.foo=x", "field label not supported: spec.foo"],
    ["status.podIPs=x", "field label not supported: status.podIPs"],
  ])("%j is rejected: %s", (s, message) => {
    expect(rejects(s, PODS)).toBe(message);
  });
});

describe("parseFieldSelector: supported fields per resource", () => {
  const supported: [string, string, string][] = [
    ["", "pods", "spec.nodeName"],
    ["", "pods", "spec.restartPolicy"],
    ["", "pods", "spec.schedulerName"],
    ["", "pods", "spec.serviceAccountName"],
    ["", "pods", "spec.hostNetwork"],
    ["", "pods", "status.phase"],
    ["", "pods", "status.podIP"],
    ["", "pods", "status.nominatedNodeName"],
    ["", "pods", "metadata.namespace"],
    ["", "events", "involvedObject.kind"],
    ["", "events", "involvedObject.namespace"],
    ["", "events", "involvedObject.name"],
    ["", "events", "involvedObject.uid"],
    ["", "events", "involvedObject.apiVersion"],
    ["", "events", "involvedObject.resourceVersion"],
    ["", "events", "involvedObject.fieldPath"],
    ["", "events", "reason"],
    ["", "events", "reportingComponent"],
    ["", "events", "source"],
    ["", "events", "type"],
    ["events.k8s.io", "events", "regarding.name"],
    ["events.k8s.io", "events", "reportingController"],
    ["", "nodes", "spec.unschedulable"],
    ["", "nodes", "metadata.name"],
    ["", "namespaces", "status.phase"],
    ["", "secrets", "type"],
    ["apps", "replicasets", "status.replicas"],
    ["", "services", "spec.clusterIP"],
    ["", "services", "spec.type"],
    ["apps", "deployments", "metadata.name"],
    ["apps", "deployments", "metadata.namespace"],
    ["", "configmaps", "metadata.namespace"],
  ];
  it.each(supported)("%s/%s accepts %s", (group, resource, field) => {
    expect(parseFieldSelector(`${field}=x`, rt(group, resource)).requirements[0].field).toBe(field);
  });

  it.each([
    ["", "nodes", "spec.nodeName", "field label not supported: spec.nodeName"],
    ["", "nodes", "metadata.namespace", "field label not supported: metadata.namespace"],
    ["", "events", "regarding.name", "field label not supported: regarding.name"],
    ["events.k8s.io", "events", "involvedObject.name", "field label not supported: involvedObject.name"],
    ["", "secrets", "data", "field label not supported: data"],
    ["apps", "deployments", "spec.replicas", '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ["", "configmaps", "data.x", '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'],
  ])("%s/%s rejects %s", (group, resource, field, message) => {
    expect(rejects(`${field}=x`, rt(group, resource))).toBe(message);
  });
});

describe("FieldSelector.matches", () => {
  it.each([
    ["metadata.name=web-1", true],
    ["metadata.name=web-2", false],
    ["metadata.name!=web-2", true],
    ["metadata.namespace=default", true],
    ["spec.nodeName=node-1", true],
    ["spec.host=node-1", true],
    ["spec.nodeName=", false],
    ["spec.restartPolicy=Always", true],
    ["spec.schedulerName=default-scheduler", true],
    ["spec.serviceAccountName=default", true],
    ["spec.hostNetwork=true", true],
    ["spec.hostNetwork=false", false],
    ["status.phase=Running", true],
    ["status.phase!=Succeeded,status.phase!=Failed", true],
    ["status.podIP=10.1.0.5", true],
    ["status.nominatedNodeName=node-2", true],
    ["spec.nodeName=node-1,status.phase=Pending", false],
  ])("pod %j -> %s", (s, want) => {
    expect(parseFieldSelector(s, PODS).matches(pod)).toBe(want);
  });

  it("reads defaults for absent fields as upstream's field sets do", () => {
    const bare = { metadata: { name: "p" } };
    expect(parseFieldSelector("spec.nodeName=", PODS).matches(bare)).toBe(true);
    expect(parseFieldSelector("spec.hostNetwork=false", PODS).matches(bare)).toBe(true);
    expect(parseFieldSelector("metadata.namespace=", PODS).matches(bare)).toBe(true);
    expect(parseFieldSelector("status.podIP=10.0.0.9", PODS).matches({ status: { podIP: "10.0.0.9" } })).toBe(true);
    const nodes = rt("", "nodes");
    expect(parseFieldSelector("spec.unschedulable=false", nodes).matches({ metadata: { name: "n" } })).toBe(true);
    expect(parseFieldSelector("spec.unschedulable=true", nodes).matches({ spec: { unschedulable: true } })).toBe(true);
    const rs = rt("apps", "replicasets");
    expect(parseFieldSelector("status.replicas=0", rs).matches({ status: {} })).toBe(true);
    expect(parseFieldSelector("status.replicas=3", rs).matches({ status: { replicas: 3 } })).toBe(true);
  });

  it("matches core events the way describe asks for them", () => {
    const ev = {
      metadata: { name: "web-1.17a", namespace: "default" },
      involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: "u-1", apiVersion: "v1", fieldPath: "spec.containers{web}" },
      reason: "Pulled",
      type: "Normal",
      source: { component: "kubelet", host: "node-1" },
      reportingComponent: "kubelet",
    };
    const events = rt("", "events");
    expect(parseFieldSelector("involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u-1", events).matches(ev)).toBe(true);
    expect(parseFieldSelector("involvedObject.kind=Node", events).matches(ev)).toBe(false);
    expect(parseFieldSelector("source=kubelet,type=Normal,reason=Pulled", events).matches(ev)).toBe(true);
    expect(parseFieldSelector("reportingComponent=kubelet", events).matches(ev)).toBe(true);
  });

  it("matches events stored in the events.k8s.io shape by either API's field names", () => {
    const ev = {
      metadata: { name: "e", namespace: "default" },
      regarding: { kind: "Pod", name: "web-1", uid: "u-1" },
      reportingController: "kubelet",
      reason: "Started",
      type: "Normal",
    };
    expect(parseFieldSelector("involvedObject.uid=u-1,source=kubelet,reportingComponent=kubelet", rt("", "events")).matches(ev)).toBe(true);
    expect(parseFieldSelector("regarding.name=web-1,reportingController=kubelet", rt("events.k8s.io", "events")).matches(ev)).toBe(true);
  });

  it("matches secrets by type, namespaces by phase and services by type", () => {
    expect(parseFieldSelector("type=kubernetes.io/tls", rt("", "secrets")).matches({ type: "kubernetes.io/tls" })).toBe(true);
    expect(parseFieldSelector("status.phase=Active", rt("", "namespaces")).matches({ status: { phase: "Active" } })).toBe(true);
    const svc = { spec: { type: "NodePort", clusterIP: "10.96.0.10" } };
    expect(parseFieldSelector("spec.type=NodePort,spec.clusterIP=10.96.0.10", rt("", "services")).matches(svc)).toBe(true);
  });
});
