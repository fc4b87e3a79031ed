/**
 * OpenAPI v3 `paths` for the served resources, shaped like kube-apiserver's: collection and
 * item paths with their operations, query parameters, request bodies and responses. kubectl
 * reads the PATCH operation of each kind (its GVK tag, `fieldValidation` parameter and patch
 * content types) to decide how to validate and patch.
 */
import type { ResourceType, SubresourceType, Verb } from "../resources/registry";
import { messageNameFor } from "./fields";
import { refTo, type Gvk, type OpenApiSchema } from "./openapi-schemas";

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
const RESPONSE_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const WATCH_TYPES = ["application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"];
const PATCH_TYPES = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];

type Operation = Record<string, unknown>;
type PathItem = Record<string, unknown>;

function param(name: string, where: "query" | "path", type = "string"): Record<string, unknown> {
  const p: Record<string, unknown> = { in: where, name, schema: { type, uniqueItems: true } };
  if (where === "path") p.required = true;
  return p;
}

const WRITE_PARAMS = [param("dryRun", "query"), param("fieldManager", "query"), param("fieldValidation", "query")];
const PATCH_PARAMS = [...WRITE_PARAMS, param("force", "query", "boolean")];
const DELETE_PARAMS = [
  param("dryRun", "query"),
  param("gracePeriodSeconds", "query", "integer"),
  param("ignoreStoreReadErrorWithClusterBreakingPotential", "query", "boolean"),
  param("orphanDependents", "query", "boolean"),
  param("propagationPolicy", "query"),
];
const LIST_PARAMS = [
  param("allowWatchBookmarks", "query", "boolean"),
  param("continue", "query"),
  param("fieldSelector", "query"),
  param("labelSelector", "query"),
  param("limit", "query", "integer"),
  param("resourceVersion", "query"),
  param("resourceVersionMatch", "query"),
  param("sendInitialEvents", "query", "boolean"),
  param("timeoutSeconds", "query", "integer"),
  param("watch", "query", "boolean"),
];

function content(schema: OpenApiSchema, types: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(messageName: string, codes: Record<string, string>, watch = false): Record<string, unknown> {
  const types = watch ? [...RESPONSE_TYPES, ...WATCH_TYPES] : RESPONSE_TYPES;
  const schema = refTo(messageName);
  return Object.fromEntries(Object.entries(codes).map(([code, description]) => [code, { content: content(schema, types), description }]));
}

/** "rbac.authorization.k8s.io", "v1" → "RbacAuthorizationV1"; core → "CoreV1". */
export function groupVersionId(group: string, version: string): string {
  const words = group === "" ? ["core"] : group.replace(/\.k8s\.io$/, "").split(".");
  return words.map((w) => w[0].toUpperCase() + w.slice(1)).join("") + version[0].toUpperCase() + version.slice(1);
}

/** upstream's operation tag: "apps_v1", "core_v1", "rbacAuthorization_v1". */
export function groupVersionTag(group: string, version: string): string {
  const id = groupVersionId(group, version);
  const g = id.slice(0, id.length - version.length);
  return `${g[0].toLowerCase()}${g.slice(1)}_${version}`;
}

/** The URL prefix of a group/version: "/api/v1" or "/apis/apps/v1". */
export function groupVersionPrefix(group: string, version: string): string {
  return group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
}

interface OpSpec {
  readonly action: string;
  readonly id: string;
  readonly description: string;
  readonly gvk: Gvk;
  readonly parameters?: readonly Record<string, unknown>[];
  readonly requestBody?: Record<string, unknown>;
  readonly responses: Record<string, unknown>;
  readonly tag: string;
}

function operation(o: OpSpec): Operation {
  const op: Operation = { description: o.description, operationId: o.id };
  if (o.parameters?.length) op.parameters = o.parameters;
  if (o.requestBody) op.requestBody = o.requestBody;
  op.responses = o.responses;
  op.tags = [o.tag];
  op["x-kubernetes-action"] = o.action;
  op["x-kubernetes-group-version-kind"] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return op;
}

function bodyOf(messageName: string): Record<string, unknown> {
  return { content: { "*/*": { schema: refTo(messageName) } }, required: true };
}

const PATCH_BODY = { content: content(refTo(`${META}.Patch`), PATCH_TYPES), required: true };
const DELETE_BODY = { content: { "*/*": { schema: refTo(`${META}.DeleteOptions`) } } };

/** The operations one kind-shaped endpoint (an item or a subresource) offers for `verbs`. */
function itemOperations(verbs: readonly Verb[], messageName: string, gvk: Gvk, idBase: string, what: string, tag: string): PathItem {
  const item: PathItem = {};
  const common = { gvk, tag };
  if (verbs.includes("get")) {
    item.get = operation({ ...common, action: "get", id: `read${idBase}`, description: `read ${what}`, responses: responses(messageName, { "200": "OK" }) });
  }
  if (verbs.includes("update")) {
    item.put = operation({
      ...common,
      action: "put",
      id: `replace${idBase}`,
      description: `replace ${what}`,
      parameters: WRITE_PARAMS,
      requestBody: bodyOf(messageName),
      responses: responses(messageName, { "200": "OK", "201": "Created" }),
    });
  }
  if (verbs.includes("patch")) {
    item.patch = operation({
      ...common,
      action: "patch",
      id: `patch${idBase}`,
      description: `partially update ${what}`,
      parameters: PATCH_PARAMS,
      requestBody: PATCH_BODY,
      responses: responses(messageName, { "200": "OK", "201": "Created" }),
    });
  }
  if (verbs.includes("create")) {
    item.post = operation({
      ...common,
      action: "post",
      id: `create${idBase}`,
      description: `create ${what}`,
      parameters: WRITE_PARAMS,
      requestBody: bodyOf(messageName),
      responses: responses(messageName, { "200": "OK", "201": "Created", "202": "Accepted" }),
    });
  }
  return item;
}

function subresourcePath(rt: ResourceType, sub: SubresourceType, idBase: string, tag: string): PathItem {
  const rk = sub.responseKind ?? { group: rt.group, version: rt.version, kind: rt.kind };
  const messageName = messageNameFor(rk.group, rk.version, rk.kind) ?? rt.message;
  const suffix = sub.name[0].toUpperCase() + sub.name.slice(1);
  return itemOperations(sub.verbs, messageName, rk, `${idBase}${suffix}`, `${sub.name} of the specified ${rt.kind}`, tag);
}

/** The paths of one resource type, keyed by URL template. */
export function resourcePaths(rt: ResourceType, listMessage: string | undefined): Record<string, PathItem> {
  const prefix = groupVersionPrefix(rt.group, rt.version);
  const gvId = groupVersionId(rt.group, rt.version);
  const tag = groupVersionTag(rt.group, rt.version);
  const gvk: Gvk = { group: rt.group, version: rt.version, kind: rt.kind };
  const scope = rt.namespaced ? "Namespaced" : "";
  const base = rt.namespaced ? `${prefix}/namespaces/{namespace}/${rt.resource}` : `${prefix}/${rt.resource}`;
  const scopeParams = rt.namespaced ? [param("namespace", "path")] : [];
  const idBase = `${gvId}${scope}${rt.kind}`;
  const paths: Record<string, PathItem> = {};

  const collection: PathItem = {};
  if (listMessage && rt.verbs.includes("list")) {
    collection.get = operation({
      action: "list",
      id: `list${idBase}`,
      description: `list or watch objects of kind ${rt.kind}`,
      gvk,
      tag,
      parameters: LIST_PARAMS,
      responses: responses(listMessage, { "200": "OK" }, true),
    });
  }
  Object.assign(collection, itemOperations(rt.verbs.includes("create") ? ["create"] : [], rt.message, gvk, idBase, `a ${rt.kind}`, tag));
  if (rt.verbs.includes("deletecollection")) {
    collection.delete = operation({
      action: "deletecollection",
      id: `delete${gvId}Collection${scope}${rt.kind}`,
      description: `delete collection of ${rt.kind}`,
      gvk,
      tag,
      parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== "watch" && p.name !== "allowWatchBookmarks")],
      requestBody: DELETE_BODY,
      responses: responses(`${META}.Status`, { "200": "OK" }),
    });
  }
  paths[base] = { ...collection, parameters: [...scopeParams, param("pretty", "query")] };

  const item = itemOperations(rt.verbs, rt.message, gvk, idBase, `the specified ${rt.kind}`, tag);
  if (rt.verbs.includes("delete")) {
    item.delete = operation({
      action: "delete",
      id: `delete${idBase}`,
      description: `delete a ${rt.kind}`,
      gvk,
      tag,
      parameters: DELETE_PARAMS,
      requestBody: DELETE_BODY,
      responses: responses(`${META}.Status`, { "200": "OK", "202": "Accepted" }),
    });
  }
  const itemParams = [param("name", "path"), ...scopeParams, param("pretty", "query")];
  paths[`${base}/{name}`] = { ...item, parameters: itemParams };

  for (const sub of rt.subresources) {
    const ops = subresourcePath(rt, sub, idBase, tag);
    if (Object.keys(ops).length) paths[`${base}/{name}/${sub.name}`] = { ...ops, parameters: itemParams };
  }

  if (rt.namespaced && listMessage && rt.verbs.includes("list")) {
    paths[`${prefix}/${rt.resource}`] = {
      get: operation({
        action: "list",
        id: `list${gvId}${rt.kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${rt.kind}`,
        gvk,
        tag,
        responses: responses(listMessage, { "200": "OK" }, true),
      }),
      parameters: [...LIST_PARAMS, param("pretty", "query")],
    };
  }
  return paths;
}

/** The discovery path of a group/version ("/apis/apps/v1/"), answering an APIResourceList. */
export function resourceListPath(group: string, version: string): Record<string, PathItem> {
  return {
    [`${groupVersionPrefix(group, version)}/`]: {
      get: {
        description: "get available resources",
        operationId: `get${groupVersionId(group, version)}APIResources`,
        responses: responses(`${META}.APIResourceList`, { "200": "OK" }),
        tags: [groupVersionTag(group, version)],
      },
    },
  };
}
