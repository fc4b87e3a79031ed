/**
 * The people and machines of the authorization tests, set up through the API as the admin:
 * static-token users (user-token Secrets holding only a hash), RoleBindings, a ServiceAccount
 * with a Role and a TokenRequest token, a node credential and a bootstrap token.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { nodeCredentialClaims, signJwt } from "../../src/auth/jwt";
import { ADMIN_TOKEN, json } from "./helpers";

/** The audience every API token carries. */
export const AUDIENCE = "https://kubernetes.default.svc.cluster.local";
/** The node whose credential the tests use; matrix pods are bound to it. */
export const NODE = "node-1";
export const BOOTSTRAP_TOKEN = "abcdef.0123456789abcdef";

export type UserKey = "admin" | "nsadmin" | "editor" | "viewer" | "node" | "bootstrap" | "robot" | "anonymous";

/** Who each matrix row is: the bearer token (null = none). */
export type Credentials = Record<UserKey, string | null>;

const enc = new TextEncoder();

/** Lower-case hex SHA-256, as the server stores static tokens. */
export async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", enc.encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random opaque token (32 bytes, base64url). */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Asserts an admin call succeeded and returns its body. */
export async function must(path: string, call: Parameters<typeof json>[1] = {}): Promise<any> {
  const r = await json(path, call);
  expect(r.status, `${call.method ?? (call.body ? "POST" : "GET")} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
}

/** Creates a static-token user the way `flotilla user create` does; returns the Secret's name. */
export async function createStaticUser(token: string, user: string, groups: string[] = [], expiration?: string): Promise<string> {
  const sha = await sha256Hex(token);
  const name = `user-token-${sha.slice(0, 40)}`;
  const data: Record<string, string> = { user: btoa(user), groups: btoa(groups.join(",")), "token-sha256": btoa(sha) };
  if (expiration) data.expiration = btoa(expiration);
  await must("/api/v1/namespaces/kube-system/secrets", {
    body: { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "kube-system", labels: { "flotilla.dev/user": user } }, type: "flotilla.dev/user-token", data },
  });
  return name;
}

/** A RoleBinding of `role` (a ClusterRole unless `kind` says otherwise) to `subject` in `namespace`. */
export async function bindRole(namespace: string, name: string, role: string, subject: Record<string, string>, kind = "ClusterRole"): Promise<void> {
  await must(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    body: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: role },
      subjects: [subject],
    },
  });
}

export const user = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "User", name });

/** The rules of the ServiceAccount alpha/robot (Role "robot" in alpha). */
export const ROBOT_RULES = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"] },
];

async function namespace(name: string): Promise<void> {
  await must("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } });
}

/** The node credential of `node`, signed with the server's key. */
export async function nodeToken(node: string, audience = AUDIENCE, now = Date.now(), seconds = 3600): Promise<string> {
  return signJwt(nodeCredentialClaims({ nodeName: node, audiences: [audience], expirationSeconds: seconds, now }), JSON.parse(env.SIGNING_KEY!));
}

/**
 * Namespaces alpha and beta, and one credential per matrix row:
 * - nsadmin: RoleBinding to ClusterRole admin in alpha;
 * - editor: RoleBinding to ClusterRole edit in alpha;
 * - viewer: RoleBinding to ClusterRole view in alpha only (so beta is out of reach);
 * - robot: ServiceAccount alpha/robot, Role ROBOT_RULES in alpha, token from TokenRequest;
 * - node: credential of node-1; bootstrap: a kubeadm-style bootstrap token; anonymous: none.
 */
export async function setUpUsers(): Promise<Credentials> {
  await namespace("alpha");
  await namespace("beta");
  const tokens = { nsadmin: randomToken(), editor: randomToken(), viewer: randomToken() };
  await createStaticUser(tokens.nsadmin, "nsadmin", ["alpha-admins"]);
  await createStaticUser(tokens.editor, "editor");
  await createStaticUser(tokens.viewer, "viewer", ["viewers"]);
  await bindRole("alpha", "nsadmin-admin", "admin", user("nsadmin"));
  await bindRole("alpha", "editor-edit", "edit", user("editor"));
  await bindRole("alpha", "viewer-view", "view", user("viewer"));

  await must("/api/v1/namespaces/alpha/serviceaccounts", { body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot", namespace: "alpha" } } });
  await must("/apis/rbac.authorization.k8s.io/v1/namespaces/alpha/roles", {
    body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "robot", namespace: "alpha" }, rules: ROBOT_RULES },
  });
  await bindRole("alpha", "robot", "robot", { kind: "ServiceAccount", name: "robot", namespace: "alpha" }, "Role");
  const tr = await must("/api/v1/namespaces/alpha/serviceaccounts/robot/token", {
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: [AUDIENCE], expirationSeconds: 3600 } },
  });

  const [id, secret] = BOOTSTRAP_TOKEN.split(".");
  await must("/api/v1/namespaces/kube-system/secrets", {
    body: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      stringData: { "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true" },
    },
  });

  return {
    admin: ADMIN_TOKEN,
    ...tokens,
    robot: tr.status.token,
    node: await nodeToken(NODE),
    bootstrap: BOOTSTRAP_TOKEN,
    anonymous: null,
  };
}
