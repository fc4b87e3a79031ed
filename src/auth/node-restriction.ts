/**
 * NodeRestriction admission: after the Node authorizer lets a node's write through, the object
 * itself is checked. A node may create or change only its own Node, may not label itself into a
 * role or a restricted group, may not change its taints, may touch only pods bound to it and only
 * its own Lease. Messages are upstream's.
 */
import { StatusError, errors, qualifiedResource } from "../api/status";
import type { Attributes } from "./request-attributes";

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj => (v && typeof v === "object" ? (v as Obj) : {});
const labelsOf = (o: Obj | undefined): Record<string, string> => asObj(asObj(o?.metadata).labels) as Record<string, string>;

// Labels a kubelet sets about itself, and the label namespaces it owns.
const KUBELET_LABELS = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
]);
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];
const NODE_RESTRICTION_NAMESPACE = "node-restriction.kubernetes.io";

const labelNamespace = (key: string) => (key.includes("/") ? key.slice(0, key.indexOf("/")) : "");
const inNamespace = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(labelNamespace(key), d));
}

/**
 * Labels a node may not set on itself: anything under node-restriction.kubernetes.io, and any
 * kubernetes.io / k8s.io label a kubelet does not own (node-role.kubernetes.io/* included).
 */
export function forbiddenNodeLabels(keys: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const key of keys) {
    const ns = labelNamespace(key);
    if (inNamespace(ns, NODE_RESTRICTION_NAMESPACE)) out.add(key);
    if ((inNamespace(ns, "kubernetes.io") || inNamespace(ns, "k8s.io")) && !isKubeletLabel(key)) out.add(key);
  }
  return [...out].sort();
}

function modifiedLabels(now: Record<string, string>, before: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(now), ...Object.keys(before)]);
  return [...keys].filter((k) => now[k] !== before[k]);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function objectName(attrs: Attributes, obj: Obj | undefined): string {
  if (attrs.name) return attrs.name;
  const meta = asObj(obj?.metadata);
  return (meta.name as string) || (meta.generateName as string) || "Unknown";
}

function operation(verb: string): "CREATE" | "UPDATE" | "DELETE" | "" {
  if (verb === "create") return "CREATE";
  if (verb === "update" || verb === "patch") return "UPDATE";
  if (verb === "delete") return "DELETE";
  return "";
}

function admitNode(nodeName: string, op: string, name: string, obj: Obj | undefined, old: Obj | undefined): string | undefined {
  if (name !== nodeName) return `node "${nodeName}" is not allowed to modify node "${name}"`;
  const spec = asObj(obj?.spec);
  if (op === "CREATE") {
    if (spec.configSource) return `node "${nodeName}" is not allowed to create pods with a non-nil configSource`;
    const bad = forbiddenNodeLabels(Object.keys(labelsOf(obj)));
    if (bad.length) return `node "${nodeName}" is not allowed to set the following labels: ${bad.join(", ")}`;
  }
  if (op === "UPDATE" && obj && old) {
    const oldSpec = asObj(old.spec);
    if (spec.configSource && !same(spec.configSource, oldSpec.configSource)) return `node "${nodeName}" is not allowed to update configSource to a new non-nil configSource`;
    if (!same(spec.taints, oldSpec.taints)) return `node "${nodeName}" is not allowed to modify taints`;
    const bad = forbiddenNodeLabels(modifiedLabels(labelsOf(obj), labelsOf(old)));
    // Upstream's wording here has no subject.
    if (bad.length) return `is not allowed to modify labels: ${bad.join(", ")}`;
  }
  return undefined;
}

const boundTo = (pod: Obj | undefined) => asObj(pod?.spec).nodeName;

function admitPod(nodeName: string, op: string, subresource: string, obj: Obj | undefined, old: Obj | undefined): string | undefined {
  switch (subresource) {
    case "":
      if (op === "CREATE") {
        const annotations = asObj(asObj(obj?.metadata).annotations);
        if (!("kubernetes.io/config.mirror" in annotations)) return `pod does not have "kubernetes.io/config.mirror" annotation, node "${nodeName}" can only create mirror pods`;
        if (boundTo(obj) !== nodeName) return `node "${nodeName}" can only create pods with spec.nodeName set to itself`;
        return undefined;
      }
      if (op === "DELETE") return boundTo(old) === nodeName ? undefined : `node "${nodeName}" can only delete pods with spec.nodeName set to itself`;
      return `unexpected operation "${op}", node "${nodeName}" can only create and delete mirror pods`;
    case "status":
      if (op !== "UPDATE") return `unexpected operation "${op}"`;
      if (boundTo(old) !== nodeName) return `node "${nodeName}" can only update pod status for pods with spec.nodeName set to itself`;
      if (!same(sortedLabels(labelsOf(old)), sortedLabels(labelsOf(obj)))) return `node "${nodeName}" cannot update labels through pod status`;
      return undefined;
    case "eviction":
      return boundTo(old) === nodeName ? undefined : `node "${nodeName}" can only evict pods with spec.nodeName set to itself`;
    default:
      return `unexpected pod subresource "${subresource}", only 'status' and 'eviction' are allowed`;
  }
}

const sortedLabels = (l: Record<string, string>) => Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));

function admitLease(nodeName: string, attrs: Attributes, name: string): string | undefined {
  if (attrs.namespace !== "kube-node-lease") return `can only access leases in the "kube-node-lease" system namespace`;
  if (name !== nodeName) return "can only access node lease with the same name as the requesting node";
  return undefined;
}

/**
 * Checks a write by node `nodeName` against the object it writes. `obj` is the new object
 * (create/update/patch, after the patch is applied), `old` the stored one (update/patch/delete,
 * and the pod for an eviction). Returns the 403 to send, or undefined to admit.
 *
 * @example admitNodeWrite("n1", attributesOf("PATCH", new URL("https://x/api/v1/nodes/n2")), n2, n2Old)
 * // StatusError 403: nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"
 */
export function admitNodeWrite(nodeName: string, attrs: Attributes, obj: Obj | undefined, old: Obj | undefined): StatusError | undefined {
  const op = operation(attrs.verb);
  if (!attrs.resourceRequest || op === "") return undefined;
  const name = objectName(attrs, obj ?? old);
  let why: string | undefined;
  if (attrs.apiGroup === "" && attrs.resource === "nodes") why = admitNode(nodeName, op, name, obj, old);
  else if (attrs.apiGroup === "" && attrs.resource === "pods") why = admitPod(nodeName, op, attrs.subresource, obj, old);
  else if (attrs.apiGroup === "coordination.k8s.io" && attrs.resource === "leases") why = admitLease(nodeName, attrs, name);
  if (why === undefined) return undefined;
  return errors.forbidden(`${qualifiedResource(attrs.resource, attrs.apiGroup)} ${JSON.stringify(name)} is forbidden: ${why}`, {
    name,
    group: attrs.apiGroup,
    kind: attrs.resource,
  });
}
