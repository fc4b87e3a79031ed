import { errors } from "../api/status";
import { aggregateClusterRoles } from "../auth/aggregation";
import { authorizeBindingWrite, authorizeRoleWrite } from "../auth/escalation";
import { admitNodeWrite, authorizeNode, buildNodeGraph, nodeIdentity, type NodeGraph } from "../auth/node-authorizer";
import { authorize, forbiddenError, rulesFor, type RulesReview } from "../auth/rbac";
import type { RbacSnapshot } from "../auth/rbac-types";
import type { Attributes, UserInfo } from "../auth/request-attributes";
import { BOOTSTRAP_TOKEN_SECRET_PREFIX, constantTimeEqual, sha256Hex, userFromBootstrapSecret } from "../auth/tokens";
import type { Clock } from "../lib/clock";
import { findResource, type ResourceType } from "../resources/registry";
import type { ObjectStore } from "./objects";

type Obj = Record<string, any>;

/** Who asks, and what they ask for, as the Worker established it. */
export interface RequestContext {
  user: UserInfo;
  attrs: Attributes;
}

export type TokenLookup = { kind: "static"; sha256: string } | { kind: "bootstrap"; id: string; secretSha256: string };

/** Static user tokens live as Secrets in kube-system named after their hash; the token itself is never stored. */
export const USER_TOKEN_SECRET_TYPE = "flotilla.dev/user-token";
export const USER_TOKEN_PREFIX = "user-token-";

export function userTokenSecretName(sha256: string): string {
  return `${USER_TOKEN_PREFIX}${sha256.slice(0, 40)}`;
}

const MASTERS = "system:masters";
const SA_PREFIX = "system:serviceaccount:";

function decode(b64: string | undefined): string | undefined {
  if (b64 === undefined) return undefined;
  try {
    return atob(b64);
  } catch {
    return undefined;
  }
}

const type = (group: string, version: string, resource: string): ResourceType => findResource(group, version, resource)!;

/**
 * Authorization next to the data: RBAC over the stored roles and bindings (cached, dropped on
 * any RBAC write), the Node authorizer over the pods bound to a node, and the admission checks
 * that need stored state (escalation prevention, NodeRestriction).
 */
export class AccessControl {
  private rbac: RbacSnapshot | undefined;
  private readonly graphs = new Map<string, NodeGraph>();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** Drops cached views that a write may have made stale. */
  onWrite(rt: ResourceType): void {
    if (rt.group === "rbac.authorization.k8s.io") this.rbac = undefined;
    if (rt.group === "" && (rt.resource === "pods" || rt.resource === "nodes")) this.graphs.clear();
  }

  snapshot(): RbacSnapshot {
    if (this.rbac) return this.rbac;
    const list = (r: string) => this.store.list(type("rbac.authorization.k8s.io", "v1", r), undefined, {}).items.map((i) => JSON.parse(i));
    this.rbac = {
      roles: list("roles"),
      clusterRoles: aggregateClusterRoles(list("clusterroles")),
      roleBindings: list("rolebindings"),
      clusterRoleBindings: list("clusterrolebindings"),
    };
    return this.rbac;
  }

  private graphOf(node: string): NodeGraph {
    let g = this.graphs.get(node);
    if (!g) {
      const pods = this.store.list(type("", "v1", "pods"), undefined, { fieldSelector: `spec.nodeName=${node}` }).items.map((i) => JSON.parse(i));
      this.graphs.set(node, (g = buildNodeGraph(node, pods)));
    }
    return g;
  }

  /** A service-account token is only good while its ServiceAccount (and bound pod) exist with the claimed uids. */
  private checkCredential(user: UserInfo): void {
    if (!user.name.startsWith(SA_PREFIX)) return;
    const [namespace, name] = user.name.slice(SA_PREFIX.length).split(":");
    const sa = this.store.read(type("", "v1", "serviceaccounts"), namespace, name);
    if (!sa || (user.uid && sa.obj.metadata.uid !== user.uid)) throw errors.unauthorized();
    const podName = user.extra?.["authentication.kubernetes.io/pod-name"]?.[0];
    if (podName) {
      const pod = this.store.read(type("", "v1", "pods"), namespace, podName);
      if (!pod || pod.obj.metadata.uid !== user.extra?.["authentication.kubernetes.io/pod-uid"]?.[0]) throw errors.unauthorized();
    }
  }

  /** The decision for one request, without throwing. */
  decide(user: UserInfo, attrs: Attributes): { allowed: boolean; reason: string } {
    if (user.groups.includes(MASTERS)) return { allowed: true, reason: "system:masters" };
    const node = nodeIdentity(user);
    let nodeReason = "";
    if (node) {
      const d = authorizeNode(attrs, node, this.graphOf(node));
      if (d.decision === "allow") return { allowed: true, reason: d.reason };
      nodeReason = d.reason;
    }
    const d = authorize(attrs, user, this.snapshot());
    if (d.allowed) return d;
    return { allowed: false, reason: nodeReason };
  }

  /** Throws 401 for a credential that no longer stands, 403 for a request the user may not make. */
  check(ctx: RequestContext): void {
    this.checkCredential(ctx.user);
    const d = this.decide(ctx.user, ctx.attrs);
    if (!d.allowed) throw forbiddenError(ctx.attrs, ctx.user, d.reason);
  }

  rules(user: UserInfo, namespace: string): RulesReview {
    if (user.groups.includes(MASTERS)) {
      return {
        resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
        nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
        incomplete: false,
      };
    }
    return rulesFor(user, namespace, this.snapshot());
  }

  /** Admission that needs the store: RBAC escalation prevention and NodeRestriction. */
  admit(ctx: RequestContext, rt: ResourceType, obj: Obj | undefined, old: Obj | undefined): void {
    const node = nodeIdentity(ctx.user);
    if (node) {
      const err = admitNodeWrite(node, ctx.attrs, obj, old);
      if (err) throw err;
    }
    if (rt.group !== "rbac.authorization.k8s.io" || !obj || ctx.attrs.verb === "delete") return;
    const operation = old ? "update" : "create";
    const meta = obj.metadata ?? {};
    let err;
    if (rt.kind === "Role" || rt.kind === "ClusterRole") {
      err = authorizeRoleWrite(ctx.user, { kind: rt.kind, namespace: meta.namespace, name: meta.name, rules: obj.rules ?? [], hasAggregationRule: !!obj.aggregationRule, operation }, this.snapshot());
    } else if (rt.kind === "RoleBinding" || rt.kind === "ClusterRoleBinding") {
      err = authorizeBindingWrite(ctx.user, { kind: rt.kind, namespace: meta.namespace, name: meta.name, roleRef: obj.roleRef ?? {} }, this.snapshot());
    }
    if (err) throw err;
  }

  /** Looks up a static user token or a bootstrap token by the hashes the Worker computed. */
  async authenticateToken(req: TokenLookup): Promise<UserInfo | null> {
    const secrets = type("", "v1", "secrets");
    if (req.kind === "static") {
      const s = this.store.read(secrets, "kube-system", userTokenSecretName(req.sha256))?.obj;
      if (!s || s.type !== USER_TOKEN_SECRET_TYPE || s.metadata.deletionTimestamp) return null;
      const data = s.data ?? {};
      if (!constantTimeEqual(decode(data["token-sha256"]) ?? "", req.sha256)) return null;
      const exp = decode(data.expiration);
      if (exp && this.clock.now() > Date.parse(exp)) return null;
      const name = decode(data.user);
      if (!name) return null;
      const groups = (decode(data.groups) ?? "").split(",").filter(Boolean);
      return { name, groups: [...groups, "system:authenticated"] };
    }
    const s = this.store.read(secrets, "kube-system", `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${req.id}`)?.obj;
    if (!s) return null;
    // Secrets we write keep only a hash of the token secret; kubeadm-style ones keep it in the clear.
    const data = { ...(s.data ?? {}) };
    const storedHash = decode(data["token-secret-sha256"]) ?? (decode(data["token-secret"]) !== undefined ? await sha256Hex(decode(data["token-secret"])!) : undefined);
    if (storedHash === undefined) return null;
    data["token-secret"] = btoa(storedHash);
    return userFromBootstrapSecret({ ...s, data }, req.secretSha256, this.clock.now()) ?? null;
  }
}
