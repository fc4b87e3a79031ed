/**
 * The resource types Flotilla serves: one entry per group/version/resource, with what
 * discovery, routing, storage, printing and decoding need to know about it.
 */

export type Verb = "create" | "delete" | "deletecollection" | "get" | "list" | "patch" | "update" | "watch";

export interface SubresourceType {
  readonly name: string;
  readonly verbs: readonly Verb[];
  /** The kind a subresource request returns, when it is not the parent's own kind. */
  readonly responseKind?: { readonly group: string; readonly version: string; readonly kind: string };
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural, lower case: the path segment ("deployments"). */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly Verb[];
  readonly subresources: readonly SubresourceType[];
  /**
   * The storage key prefix. Two versions (or groups) of one object share it, as
   * core/v1 and events.k8s.io/v1 Events do upstream; objects are stored in the form of the
   * first type registered for the prefix (see `storageTypeOf`).
   */
  readonly storage: string;
  /** The protobuf message of the kind (for decoding and schemas). */
  readonly message: string;
  /** Whether the object has a `spec` whose changes bump `metadata.generation`. */
  readonly hasSpecGeneration: boolean;
  /** Create-only review kinds that are answered, never stored (SelfSubjectAccessReview, …). */
  readonly virtual: boolean;
}

const ALL_VERBS: readonly Verb[] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const STATUS: SubresourceType = { name: "status", verbs: ["get", "patch", "update"] };
const SCALE: SubresourceType = { name: "scale", verbs: ["get", "patch", "update"], responseKind: { group: "autoscaling", version: "v1", kind: "Scale" } };

interface Def {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceType[];
  verbs?: Verb[];
  storage?: string;
  hasSpecGeneration?: boolean;
  virtual?: boolean;
}

function define(d: Def): ResourceType {
  const pkg = d.group === "" ? "core" : d.group.split(".")[0];
  return {
    group: d.group,
    version: d.version,
    kind: d.kind,
    resource: d.resource,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    storage: d.storage ?? (d.group ? `${d.group}/${d.resource}` : d.resource),
    message: `k8s.io.api.${pkg}.${d.version}.${d.kind}`,
    hasSpecGeneration: d.hasSpecGeneration ?? false,
    virtual: d.virtual ?? false,
  };
}

const WORKLOAD = { group: "apps", version: "v1", namespaced: true, categories: ["all"], subresources: [SCALE, STATUS], hasSpecGeneration: true };
const HPA = {
  group: "autoscaling",
  kind: "HorizontalPodAutoscaler",
  resource: "horizontalpodautoscalers",
  namespaced: true,
  shortNames: ["hpa"],
  categories: ["all"],
  subresources: [STATUS],
  hasSpecGeneration: true,
};

/** Every served resource. Within a group, the first version listed is the preferred one. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  define({ group: "", version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false, shortNames: ["ns"], subresources: [STATUS, { name: "finalize", verbs: ["update"] }] }),
  define({
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    namespaced: true,
    shortNames: ["po"],
    categories: ["all"],
    subresources: [
      STATUS,
      { name: "binding", verbs: ["create"], responseKind: { group: "", version: "v1", kind: "Binding" } },
      { name: "eviction", verbs: ["create"], responseKind: { group: "policy", version: "v1", kind: "Eviction" } },
    ],
  }),
  define({ group: "", version: "v1", kind: "Service", resource: "services", namespaced: true, shortNames: ["svc"], categories: ["all"], subresources: [STATUS] }),
  define({ group: "", version: "v1", kind: "Node", resource: "nodes", namespaced: false, shortNames: ["no"], subresources: [STATUS] }),
  define({ group: "", version: "v1", kind: "Event", resource: "events", namespaced: true, shortNames: ["ev"], storage: "events" }),
  define({ group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", namespaced: true, shortNames: ["cm"] }),
  define({ group: "", version: "v1", kind: "Secret", resource: "secrets", namespaced: true }),
  define({
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    resource: "serviceaccounts",
    namespaced: true,
    shortNames: ["sa"],
    subresources: [{ name: "token", verbs: ["create"], responseKind: { group: "authentication.k8s.io", version: "v1", kind: "TokenRequest" } }],
  }),
  define({ group: "", version: "v1", kind: "Endpoints", resource: "endpoints", namespaced: true, shortNames: ["ep"] }),
  define({ ...WORKLOAD, kind: "Deployment", resource: "deployments", shortNames: ["deploy"] }),
  define({ ...WORKLOAD, kind: "ReplicaSet", resource: "replicasets", shortNames: ["rs"] }),
  define({ group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", resource: "endpointslices", namespaced: true }),
  define({ group: "coordination.k8s.io", version: "v1", kind: "Lease", resource: "leases", namespaced: true }),
  define({ ...HPA, version: "v2" }),
  // kubectl autoscale creates autoscaling/v1 objects; both versions share one storage (v2 form).
  define({ ...HPA, version: "v1", storage: "autoscaling/horizontalpodautoscalers" }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", resource: "roles", namespaced: true }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", resource: "rolebindings", namespaced: true }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", resource: "clusterroles", namespaced: false }),
  define({ group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", resource: "clusterrolebindings", namespaced: false }),
  define({ group: "events.k8s.io", version: "v1", kind: "Event", resource: "events", namespaced: true, shortNames: ["ev"], storage: "events" }),
  define({ group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", resource: "selfsubjectreviews", namespaced: false, verbs: ["create"], virtual: true }),
  define({ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", resource: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"], virtual: true }),
  define({ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview", resource: "selfsubjectrulesreviews", namespaced: false, verbs: ["create"], virtual: true }),
];

/** API groups in discovery order, each with its versions (preferred first). */
export function apiGroups(): { name: string; versions: string[] }[] {
  const out: { name: string; versions: string[] }[] = [];
  for (const rt of RESOURCE_TYPES) {
    let g = out.find((x) => x.name === rt.group);
    if (!g) out.push((g = { name: rt.group, versions: [] }));
    if (!g.versions.includes(rt.version)) g.versions.push(rt.version);
  }
  return out;
}

export function resourcesIn(group: string, version: string): ResourceType[] {
  return RESOURCE_TYPES.filter((r) => r.group === group && r.version === version);
}

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function findKind(apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.kind === kind);
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** The type whose form objects of `rt`'s storage are kept in (the first registered for it). */
export function storageTypeOf(rt: ResourceType): ResourceType {
  return RESOURCE_TYPES.find((r) => r.storage === rt.storage)!;
}
