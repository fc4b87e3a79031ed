/**
 * What kube-apiserver v1.32 (RBAC + Node authorizer with selector authorization, NodeRestriction,
 * anonymous requests refused) answers for each cell of the authorization matrix.
 *
 * Verbs are letters: c=create g=get l=list w=watch u=update p=patch d=delete. A string lists the
 * verbs that succeed (2xx); every other verb is 403. Anonymous requests are 401 everywhere.
 *
 * Columns: namespaced resources are asked in "alpha" and "beta". For `namespaces`, get, update and
 * patch address the Namespace of that column (its own namespace for authorization, as upstream),
 * while create, list, watch and delete (of a fresh Namespace) are cluster-scope requests. nodes
 * and clusterroles have a single "cluster" column.
 */
import type { UserKey } from "./auth-fixtures";

export type Verb = "create" | "get" | "list" | "watch" | "update" | "patch" | "delete";
export type Outcome = "allow" | "deny" | "unauth";
export type Column = "alpha" | "beta" | "cluster";

export const VERBS: Verb[] = ["create", "get", "list", "watch", "update", "patch", "delete"];
const LETTER: Record<Verb, string> = { create: "c", get: "g", list: "l", watch: "w", update: "u", patch: "p", delete: "d" };

export interface ResourceSpec {
  /** e.g. "pods/status", "deployments/scale". */
  name: string;
  columns: Column[];
  verbs: Verb[];
}

const NS: Column[] = ["alpha", "beta"];
/** Subresources serve only get, update and patch. */
const SUB_VERBS: Verb[] = ["get", "update", "patch"];

export const RESOURCES: ResourceSpec[] = [
  { name: "configmaps", columns: NS, verbs: VERBS },
  { name: "secrets", columns: NS, verbs: VERBS },
  { name: "pods", columns: NS, verbs: VERBS },
  { name: "pods/status", columns: NS, verbs: SUB_VERBS },
  { name: "deployments", columns: NS, verbs: VERBS },
  { name: "deployments/scale", columns: NS, verbs: SUB_VERBS },
  { name: "roles", columns: NS, verbs: VERBS },
  { name: "rolebindings", columns: NS, verbs: VERBS },
  { name: "namespaces", columns: NS, verbs: VERBS },
  { name: "nodes", columns: ["cluster"], verbs: VERBS },
  { name: "clusterroles", columns: ["cluster"], verbs: VERBS },
];

type Grants = Partial<Record<string, Partial<Record<Column, string>>>>;

const ALL = "cglwupd";

/** The namespace admin: ClusterRole admin bound in alpha. */
const NSADMIN: Grants = {
  configmaps: { alpha: ALL },
  secrets: { alpha: ALL },
  pods: { alpha: ALL },
  "pods/status": { alpha: "g" }, // status belongs to the system: read only
  deployments: { alpha: ALL },
  "deployments/scale": { alpha: "gup" },
  roles: { alpha: ALL }, // rules it holds itself, so no escalation
  rolebindings: { alpha: ALL },
  namespaces: { alpha: "g" }, // reading its own Namespace only
};

/** edit bound in alpha: admin without RBAC objects. */
const EDITOR: Grants = { ...NSADMIN, roles: {}, rolebindings: {} };

/** view bound in alpha: reads, never Secrets or RBAC objects. */
const VIEWER: Grants = {
  configmaps: { alpha: "glw" },
  pods: { alpha: "glw" },
  "pods/status": { alpha: "g" },
  deployments: { alpha: "glw" },
  "deployments/scale": { alpha: "g" },
  namespaces: { alpha: "g" },
};

/** alpha/robot with ROBOT_RULES. */
const ROBOT: Grants = {
  configmaps: { alpha: ALL },
  deployments: { alpha: "glw" },
  "deployments/scale": { alpha: "gup" },
};

/**
 * node-1, whose matrix pods are all bound to it (in both namespaces): it may get and delete them
 * and update their status; it may not list or watch pods without a spec.nodeName selector, create
 * non-mirror pods, read unrelated ConfigMaps/Secrets, or write other Nodes.
 *
 * One deliberate difference from v1.32: a node may get, list and watch every Node (its pod
 * network routes each node's podCIDR to that node), where v1.32 limits it to its own.
 */
const NODE: Grants = {
  pods: { alpha: "gd", beta: "gd" },
  "pods/status": { alpha: "up", beta: "up" },
  nodes: { cluster: "glw" },
};

const TABLE: Record<Exclude<UserKey, "admin" | "anonymous">, Grants> = {
  nsadmin: NSADMIN,
  editor: EDITOR,
  viewer: VIEWER,
  robot: ROBOT,
  node: NODE,
  bootstrap: {}, // system:node-bootstrapper grants nothing in the matrix
};

/** The answer Kubernetes gives `user` for `verb` on `resource` in `column`. */
export function expected(user: UserKey, resource: string, column: Column, verb: Verb): Outcome {
  if (user === "anonymous") return "unauth";
  if (user === "admin") return "allow";
  const granted = TABLE[user][resource]?.[column] ?? "";
  return granted.includes(LETTER[verb]) ? "allow" : "deny";
}
