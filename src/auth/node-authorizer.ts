/**
 * The Node authorizer: requests from a node's credential (user "system:node:<name>" in group
 * "system:nodes") are judged by what that node runs. A node reads the Secrets, ConfigMaps,
 * ServiceAccounts and claims of the pods bound to it, its own Node and Lease, and the Service
 * topology it proxies; it writes its own Node, Lease, events and the status of its pods.
 * Writes the authorizer lets through are narrowed further by `admitNodeWrite` (NodeRestriction).
 *
 * Refusals are "no-opinion" with a reason, as upstream: the request then falls through to RBAC
 * (an administrator may still grant more explicitly), and the reason ends the 403 message.
 *
 * Differences from upstream, on purpose:
 * - Node objects: a node may get, list and watch every Node (upstream 1.32 with field-selector
 *   authorization allows only its own). The agent routes each other node's podCIDR to that
 *   node's address, so it must see all of them. Writes stay limited to its own Node.
 * - Pods: get only of pods bound to it; list/watch only with fieldSelector spec.nodeName=<self>
 *   (the agent's watch) or a metadata.name of a pod bound to it. No mirror pods exist here, so
 *   a node may not create pods; deleting is limited to its own pods here already.
 * - ServiceAccounts: a node may also get the ServiceAccounts its pods use (upstream lets it only
 *   request tokens for them, which remains allowed through serviceaccounts/token).
 * - Services, Endpoints and EndpointSlices are readable, since the agent also plays kube-proxy.
 * - pods/eviction is not granted.
 */
import type { Attributes, UserInfo } from "./request-attributes";
import type { NodeGraph } from "./node-graph";

export { buildNodeGraph, podReferences, type NodeGraph, type PodReferences } from "./node-graph";
export { admitNodeWrite } from "./node-restriction";

export type NodeDecision = { decision: "allow" | "deny" | "no-opinion"; reason: string };

export const NODES_GROUP = "system:nodes";
export const NODE_USER_PREFIX = "system:node:";
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** The node a user speaks for, or undefined when the user is not a node ("" when unidentifiable). */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}

const ALLOW: NodeDecision = { decision: "allow", reason: "" };
const pass = (reason = ""): NodeDecision => ({ decision: "no-opinion", reason });
const READ = new Set(["get", "list", "watch"]);

function related(nodeName: string, set: ReadonlySet<string>, attrs: Attributes): NodeDecision {
  if (!attrs.name) return pass("No Object name found");
  return set.has(`${attrs.namespace}/${attrs.name}`) ? ALLOW : pass(`no relationship found between node '${nodeName}' and this object`);
}

/** get/list/watch of one namespaced object a pod on the node references. */
function readReferenced(nodeName: string, set: ReadonlySet<string>, attrs: Attributes): NodeDecision {
  if (!READ.has(attrs.verb)) return pass("can only read resources of this type");
  if (attrs.subresource) return pass("cannot read subresource");
  if (!attrs.namespace) return pass("can only read namespaced object of this type");
  return related(nodeName, set, attrs);
}

function authorizeLease(nodeName: string, attrs: Attributes): NodeDecision {
  if (!["get", "create", "update", "patch", "delete"].includes(attrs.verb)) return pass("can only get, create, update, patch, or delete a node lease");
  if (attrs.namespace !== NODE_LEASE_NAMESPACE) return pass(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  // A create carries no name; NodeRestriction checks the object's name instead.
  if (attrs.verb !== "create" && attrs.name !== nodeName) return pass("can only access node lease with the same name as the requesting node");
  return ALLOW;
}

function authorizeNodeObject(nodeName: string, attrs: Attributes): NodeDecision {
  if (attrs.subresource === "status") return attrs.verb === "update" || attrs.verb === "patch" ? ALLOW : pass();
  if (attrs.subresource) return pass();
  // Writes are narrowed to the node's own object by NodeRestriction (a create has no name yet).
  if (["create", "update", "patch"].includes(attrs.verb)) return ALLOW;
  // Reading any Node is allowed: the pod network needs every node's podCIDR and address.
  return READ.has(attrs.verb) ? ALLOW : pass();
}

function authorizePod(nodeName: string, attrs: Attributes, graph: NodeGraph): NodeDecision {
  if (attrs.subresource === "status") return attrs.verb === "update" || attrs.verb === "patch" ? related(nodeName, graph.pods, attrs) : pass();
  if (attrs.subresource) return pass();
  switch (attrs.verb) {
    case "get":
    case "delete":
      return related(nodeName, graph.pods, attrs);
    case "list":
    case "watch":
      if ((attrs.fieldSelector ?? []).some((t) => t.field === "spec.nodeName" && t.op === "=" && t.value === nodeName)) return ALLOW;
      if (attrs.name) return related(nodeName, graph.pods, attrs);
      return pass("can only list/watch pods with spec.nodeName field selector");
    default:
      return pass();
  }
}

/**
 * Judges a request made with `nodeName`'s credential.
 * @example authorizeNode(attributesOf("GET", new URL("https://x/api/v1/namespaces/a/secrets/s")), "n1", graph)
 * // { decision: "allow", reason: "" } when a pod on n1 mounts secret a/s
 */
export function authorizeNode(attrs: Attributes, nodeName: string, graph: NodeGraph): NodeDecision {
  if (!nodeName) return pass(`unknown node for user ${JSON.stringify(attrs.user?.name ?? "")}`);
  if (!attrs.resourceRequest) return pass();
  const gr = `${attrs.resource}.${attrs.apiGroup}`;
  switch (gr) {
    case "secrets.":
      return readReferenced(nodeName, graph.secrets, attrs);
    case "configmaps.":
      return readReferenced(nodeName, graph.configMaps, attrs);
    case "persistentvolumeclaims.":
      return attrs.verb === "get" && !attrs.subresource ? related(nodeName, graph.persistentVolumeClaims, attrs) : pass("can only get individual resources of this type");
    case "serviceaccounts.":
      if (attrs.subresource === "token") return attrs.verb === "create" ? related(nodeName, graph.serviceAccounts, attrs) : pass("can only create tokens for individual service accounts");
      return readReferenced(nodeName, graph.serviceAccounts, attrs);
    case "leases.coordination.k8s.io":
      return authorizeLease(nodeName, attrs);
    case "nodes.":
      return authorizeNodeObject(nodeName, attrs);
    case "pods.":
      return authorizePod(nodeName, attrs, graph);
    case "services.":
    case "endpoints.":
    case "endpointslices.discovery.k8s.io":
      return READ.has(attrs.verb) && !attrs.subresource ? ALLOW : pass();
    case "events.":
    case "events.events.k8s.io":
      return ["create", "update", "patch"].includes(attrs.verb) ? ALLOW : pass();
    default:
      return pass();
  }
}
