/**
 * One request per matrix cell, made through the Worker with the cell's credential. The admin
 * prepares what a cell needs first (a fresh object to delete, a current object to update), so
 * the only thing a cell's answer depends on is who asks.
 */
import { NODE, must } from "./auth-fixtures";
import type { Column, Outcome, Verb } from "./auth-expectations";
import { api, deployment } from "./helpers";

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const MERGE = "application/merge-patch+json";

/** The collection path of a top-level resource in a column. */
export function collection(resource: string, column: Column): string {
  const ns = column === "cluster" ? "" : column;
  switch (resource) {
    case "deployments":
      return `/apis/apps/v1/namespaces/${ns}/deployments`;
    case "roles":
    case "rolebindings":
      return `${RBAC}/namespaces/${ns}/${resource}`;
    case "clusterroles":
      return `${RBAC}/clusterroles`;
    case "nodes":
    case "namespaces":
      return `/api/v1/${resource}`;
    default:
      return `/api/v1/namespaces/${ns}/${resource}`;
  }
}

/** A valid new object of `resource` named `name`. */
export function newObject(resource: string, name: string, column: Column): Record<string, unknown> {
  const namespace = column === "cluster" ? undefined : column;
  const meta = { name, ...(namespace && resource !== "namespaces" ? { namespace } : {}) };
  switch (resource) {
    case "configmaps":
      return { apiVersion: "v1", kind: "ConfigMap", metadata: meta, data: { a: "1" } };
    case "secrets":
      return { apiVersion: "v1", kind: "Secret", metadata: meta, type: "Opaque", data: { a: btoa("1") } };
    case "pods":
      return { apiVersion: "v1", kind: "Pod", metadata: meta, spec: { nodeName: NODE, containers: [{ name: "main", image: "busybox:local" }] } };
    case "deployments": {
      // No replicas: the matrix is about who may write, not about the pods a rollout makes.
      const d = deployment(name, 0);
      return { ...d, metadata: meta };
    }
    case "roles":
      return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: meta, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] };
    case "rolebindings":
      return {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "nobody" }],
      };
    case "clusterroles":
      return { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: meta, rules: [] };
    case "nodes":
      return { apiVersion: "v1", kind: "Node", metadata: meta };
    case "namespaces":
      return { apiVersion: "v1", kind: "Namespace", metadata: meta };
    default:
      throw new Error(`no object for ${resource}`);
  }
}

/** The name of the object that get, update and patch cells address. */
function targetName(resource: string, column: Column): string {
  if (resource === "namespaces") return column;
  return resource === "nodes" ? "target-node" : resource === "clusterroles" ? "target-cr" : "target";
}

/** Creates the shared targets of every column (alpha and beta Namespaces already exist). */
export async function createTargets(): Promise<void> {
  for (const resource of ["configmaps", "secrets", "pods", "deployments", "roles", "rolebindings"]) {
    for (const column of ["alpha", "beta"] as const) await must(collection(resource, column), { body: newObject(resource, "target", column) });
  }
  await must(collection("nodes", "cluster"), { body: newObject("nodes", "target-node", "cluster") });
  await must(collection("clusterroles", "cluster"), { body: newObject("clusterroles", "target-cr", "cluster") });
}

function classify(status: number): Outcome | `other ${number}` {
  if (status >= 200 && status < 300) return "allow";
  if (status === 403) return "deny";
  if (status === 401) return "unauth";
  return `other ${status}`;
}

/** Runs one cell as `token` and classifies the answer. `n` makes names unique. */
export async function runCell(token: string | null, name: string, column: Column, verb: Verb, n: number): Promise<{ outcome: string; body: string }> {
  const [resource, sub] = name.split("/");
  const coll = collection(resource, column);
  const target = `${coll}/${targetName(resource, column)}${sub ? `/${sub}` : ""}`;
  const as = { token };
  let res: Response;
  switch (verb) {
    case "create":
      res = await api(coll, { ...as, body: newObject(resource, `new-${n}`, column) });
      break;
    case "get":
      res = await api(target, as);
      break;
    case "list":
      res = await api(coll, as);
      break;
    case "watch":
      res = await api(`${coll}?watch=1&timeoutSeconds=1`, as);
      break;
    case "update": {
      const current = await must(target);
      // Replicas stay 0: a rollout would race the cells for the object with controller writes.
      if (sub === "scale") current.spec.replicas = 0;
      else if (sub === "status") current.status = { ...current.status, message: `u${n}` };
      else current.metadata.labels = { ...current.metadata.labels, updated: String(n) };
      res = await api(target, { ...as, method: "PUT", body: current });
      break;
    }
    case "patch": {
      const patch = sub === "scale" ? { spec: { replicas: 0 } } : sub === "status" ? { status: { message: `p${n}` } } : { metadata: { labels: { patched: String(n) } } };
      res = await api(target, { ...as, method: "PATCH", body: patch, contentType: MERGE });
      break;
    }
    case "delete": {
      const victim = `del-${n}`;
      await must(coll, { body: newObject(resource, victim, column) });
      res = await api(`${coll}/${victim}`, { ...as, method: "DELETE" });
      break;
    }
  }
  const body = verb === "watch" && res.ok ? (await res.body?.cancel(), "") : await res.text();
  return { outcome: classify(res.status), body };
}
