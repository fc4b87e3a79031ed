import { describe, expect, it } from "vitest";
import { admitNodeWrite, authorizeNode, buildNodeGraph, nodeIdentity, podReferences } from "../../src/auth/node-authorizer";
import { forbiddenNodeLabels } from "../../src/auth/node-restriction";
import { attributesOf } from "../../src/auth/request-attributes";

const pod = (ns: string, name: string, node: string, spec: Record<string, unknown> = {}) => ({
  metadata: { namespace: ns, name, labels: { app: name } },
  spec: { nodeName: node, serviceAccountName: "default", containers: [{ name: "c", image: "x" }], ...spec },
});

const webPod = pod("a", "web", "n1", {
  imagePullSecrets: [{ name: "regcred" }],
  containers: [
    {
      name: "c",
      image: "x",
      env: [{ name: "P", valueFrom: { secretKeyRef: { name: "db-pass", key: "p" } } }, { name: "C", valueFrom: { configMapKeyRef: { name: "env-cm", key: "c" } } }],
      envFrom: [{ secretRef: { name: "bulk-secret" } }, { configMapRef: { name: "bulk-cm" } }],
    },
  ],
  initContainers: [{ name: "i", image: "x", envFrom: [{ configMapRef: { name: "init-cm" } }] }],
  volumes: [
    { name: "s", secret: { secretName: "vol-secret" } },
    { name: "c", configMap: { name: "vol-cm" } },
    { name: "d", persistentVolumeClaim: { claimName: "data" } },
    { name: "p", projected: { sources: [{ secret: { name: "proj-secret" } }, { configMap: { name: "proj-cm" } }, { serviceAccountToken: { path: "t" } }] } },
  ],
  serviceAccountName: "web-sa",
});
const otherPod = pod("a", "db", "n2", { volumes: [{ name: "s", secret: { secretName: "db-only" } }] });
const graph = buildNodeGraph("n1", [webPod, otherPod, pod("b", "unscheduled", "")]);

describe("podReferences", () => {
  it("collects everything a pod uses", () => {
    const r = podReferences(webPod);
    expect(r.secrets.sort()).toEqual(["bulk-secret", "db-pass", "proj-secret", "regcred", "vol-secret"]);
    expect(r.configMaps.sort()).toEqual(["bulk-cm", "env-cm", "init-cm", "proj-cm", "vol-cm"]);
    expect(r.serviceAccounts).toEqual(["web-sa"]);
    expect(r.persistentVolumeClaims).toEqual(["data"]);
  });

  it("only takes pods bound to the node", () => {
    expect([...graph.pods]).toEqual(["a/web"]);
    expect(graph.secrets.has("a/db-only")).toBe(false);
  });
});

describe("nodeIdentity", () => {
  it.each([
    [{ name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] }, "n1"],
    [{ name: "system:node:n1", groups: ["system:authenticated"] }, undefined],
    [{ name: "n1", groups: ["system:nodes"] }, undefined],
    [{ name: "system:node:", groups: ["system:nodes"] }, ""],
  ])("%j → %s", (user, want) => expect(nodeIdentity(user)).toBe(want));
});

const at = (method: string, path: string) => attributesOf(method, new URL(`https://k${path}`));

describe("authorizeNode (n1)", () => {
  it.each([
    // secrets / configmaps / serviceaccounts referenced by its pods
    ["GET", "/api/v1/namespaces/a/secrets/db-pass", "allow", ""],
    ["GET", "/api/v1/namespaces/a/secrets/regcred", "allow", ""],
    ["GET", "/api/v1/namespaces/a/secrets?watch=1&fieldSelector=metadata.name%3Dvol-secret", "allow", ""],
    ["GET", "/api/v1/namespaces/a/secrets/db-only", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["GET", "/api/v1/namespaces/b/secrets/db-pass", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["GET", "/api/v1/namespaces/a/secrets", "no-opinion", "No Object name found"],
    ["PUT", "/api/v1/namespaces/a/secrets/db-pass", "no-opinion", "can only read resources of this type"],
    ["GET", "/api/v1/namespaces/a/configmaps/proj-cm", "allow", ""],
    ["GET", "/api/v1/namespaces/a/configmaps/kube-root-ca.crt", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["GET", "/api/v1/namespaces/a/serviceaccounts/web-sa", "allow", ""],
    ["POST", "/api/v1/namespaces/a/serviceaccounts/web-sa/token", "allow", ""],
    ["POST", "/api/v1/namespaces/a/serviceaccounts/default/token", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["GET", "/api/v1/namespaces/a/persistentvolumeclaims/data", "allow", ""],
    // Nodes
    ["GET", "/api/v1/nodes/n1", "allow", ""],
    ["GET", "/api/v1/nodes?watch=true&fieldSelector=metadata.name%3Dn1", "allow", ""],
    // Every Node is readable (the pod network routes each node's podCIDR); writes stay its own.
    ["GET", "/api/v1/nodes", "allow", ""],
    ["GET", "/api/v1/nodes?watch=true", "allow", ""],
    ["GET", "/api/v1/nodes/n2", "allow", ""],
    ["DELETE", "/api/v1/nodes/n2", "no-opinion", ""],
    ["POST", "/api/v1/nodes", "allow", ""],
    ["PATCH", "/api/v1/nodes/n1/status", "allow", ""],
    ["DELETE", "/api/v1/nodes/n1", "no-opinion", ""],
    // its Lease
    ["PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", "allow", ""],
    ["POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "allow", ""],
    ["PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2", "no-opinion", "can only access node lease with the same name as the requesting node"],
    ["GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/n1", "no-opinion", 'can only access leases in the "kube-node-lease" system namespace'],
    ["GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", "no-opinion", "can only get, create, update, patch, or delete a node lease"],
    // pods
    ["GET", "/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn1", "allow", ""],
    ["GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dn2", "no-opinion", "can only list/watch pods with spec.nodeName field selector"],
    ["GET", "/api/v1/pods", "no-opinion", "can only list/watch pods with spec.nodeName field selector"],
    ["GET", "/api/v1/namespaces/a/pods/web", "allow", ""],
    ["GET", "/api/v1/namespaces/a/pods/db", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["PATCH", "/api/v1/namespaces/a/pods/web/status", "allow", ""],
    ["PATCH", "/api/v1/namespaces/a/pods/db/status", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["DELETE", "/api/v1/namespaces/a/pods/web", "allow", ""],
    ["DELETE", "/api/v1/namespaces/a/pods/db", "no-opinion", "no relationship found between node 'n1' and this object"],
    ["POST", "/api/v1/namespaces/a/pods", "no-opinion", ""],
    ["PATCH", "/api/v1/namespaces/a/pods/web", "no-opinion", ""],
    ["POST", "/api/v1/namespaces/a/pods/web/eviction", "no-opinion", ""],
    // cluster topology and events
    ["GET", "/api/v1/services?watch=1", "allow", ""],
    ["GET", "/api/v1/endpoints", "allow", ""],
    ["GET", "/apis/discovery.k8s.io/v1/endpointslices?watch=1", "allow", ""],
    ["POST", "/api/v1/services", "no-opinion", ""],
    ["POST", "/api/v1/namespaces/a/events", "allow", ""],
    ["POST", "/apis/events.k8s.io/v1/namespaces/a/events", "allow", ""],
    ["GET", "/api/v1/namespaces/a/events", "no-opinion", ""],
    // everything else
    ["GET", "/apis/apps/v1/deployments", "no-opinion", ""],
    ["GET", "/version", "no-opinion", ""],
  ])("%s %s → %s", (method, path, decision, reason) => {
    expect(authorizeNode(at(method, path), "n1", graph)).toEqual({ decision, reason });
  });

  it("has no opinion for an unidentified node", () => {
    const attrs = { ...at("GET", "/api/v1/nodes/x"), user: { name: "system:node:", groups: ["system:nodes"] } };
    expect(authorizeNode(attrs, "", graph)).toEqual({ decision: "no-opinion", reason: 'unknown node for user "system:node:"' });
  });
});

describe("admitNodeWrite (NodeRestriction)", () => {
  const node = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}) => ({ metadata: { name, labels }, spec });

  it("lets a node register and update itself", () => {
    const n1 = node("n1", { "kubernetes.io/hostname": "n1", "kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "pi", "example.com/rack": "3" });
    expect(admitNodeWrite("n1", at("POST", "/api/v1/nodes"), n1, undefined)).toBeUndefined();
    const n1b = node("n1", { ...n1.metadata.labels, "example.com/rack": "4" });
    expect(admitNodeWrite("n1", at("PATCH", "/api/v1/nodes/n1"), n1b, n1)).toBeUndefined();
    expect(admitNodeWrite("n1", at("PATCH", "/api/v1/nodes/n1/status"), n1, n1)).toBeUndefined();
  });

  it.each([
    ["POST", "/api/v1/nodes", node("n2"), undefined, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
    ["PATCH", "/api/v1/nodes/n2", node("n2"), node("n2"), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
    ["PATCH", "/api/v1/nodes/n2/status", node("n2"), node("n2"), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'],
    [
      "POST",
      "/api/v1/nodes",
      node("n1", { "node-role.kubernetes.io/control-plane": "", "node-restriction.kubernetes.io/secure": "true", "kubernetes.io/hostname": "n1" }),
      undefined,
      'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/secure, node-role.kubernetes.io/control-plane',
    ],
    ["PATCH", "/api/v1/nodes/n1", node("n1", { "node-role.kubernetes.io/master": "" }), node("n1"), 'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/master'],
    [
      "PATCH",
      "/api/v1/nodes/n1",
      node("n1", {}, { taints: [] }),
      node("n1", {}, { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }),
      'nodes "n1" is forbidden: node "n1" is not allowed to modify taints',
    ],
  ])("%s %s is refused", (method, path, obj, old, message) => {
    const e = admitNodeWrite("n1", at(method, path), obj, old);
    expect(e?.code).toBe(403);
    expect(e?.message).toBe(message);
  });

  it("keeps pods to the node's own", () => {
    const mine = pod("a", "web", "n1");
    const theirs = pod("a", "db", "n2");
    expect(admitNodeWrite("n1", at("PATCH", "/api/v1/namespaces/a/pods/web/status"), mine, mine)).toBeUndefined();
    expect(admitNodeWrite("n1", at("DELETE", "/api/v1/namespaces/a/pods/web"), undefined, mine)).toBeUndefined();
    expect(admitNodeWrite("n1", at("PATCH", "/api/v1/namespaces/a/pods/db/status"), theirs, theirs)?.message).toBe(
      'pods "db" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself',
    );
    expect(admitNodeWrite("n1", at("DELETE", "/api/v1/namespaces/a/pods/db"), undefined, theirs)?.message).toBe(
      'pods "db" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
    );
    const relabelled = { ...mine, metadata: { ...mine.metadata, labels: { app: "evil" } } };
    expect(admitNodeWrite("n1", at("PUT", "/api/v1/namespaces/a/pods/web/status"), relabelled, mine)?.message).toBe(
      'pods "web" is forbidden: node "n1" cannot update labels through pod status',
    );
    expect(admitNodeWrite("n1", at("POST", "/api/v1/namespaces/a/pods"), mine, undefined)?.message).toBe(
      'pods "web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    expect(admitNodeWrite("n1", at("PATCH", "/api/v1/namespaces/a/pods/web"), mine, mine)?.message).toBe(
      'pods "web" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
    );
  });

  it("keeps leases to the node's own", () => {
    const lease = (name: string, ns = "kube-node-lease") => ({ metadata: { name, namespace: ns } });
    expect(admitNodeWrite("n1", at("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"), lease("n1"), undefined)).toBeUndefined();
    expect(admitNodeWrite("n1", at("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"), lease("n2"), undefined)?.message).toBe(
      'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
    );
  });

  it("ignores resources it does not guard", () => {
    expect(admitNodeWrite("n1", at("POST", "/api/v1/namespaces/a/events"), { metadata: { name: "e" } }, undefined)).toBeUndefined();
  });

  it.each([
    [["kubernetes.io/hostname", "topology.kubernetes.io/zone", "kubelet.kubernetes.io/x", "sub.node.kubernetes.io/y", "example.com/z", "plain"], []],
    [["node-role.kubernetes.io/worker"], ["node-role.kubernetes.io/worker"]],
    [["foo.node-restriction.kubernetes.io/a"], ["foo.node-restriction.kubernetes.io/a"]],
    [["k8s.io/x", "x.k8s.io/y"], ["k8s.io/x", "x.k8s.io/y"]],
  ])("forbiddenNodeLabels(%j)", (keys, want) => expect(forbiddenNodeLabels(keys)).toEqual(want));
});
