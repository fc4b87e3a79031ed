/**
 * The OpenAPI v3 discovery surface: the `/openapi/v3` index and one document per path in it
 * ("api", "api/v1", "apis", "apis/apps", "apis/apps/v1", ...). Documents are built from the
 * field facts and the resource registry on first use and cached; each index entry carries a
 * hash of its document's content so clients can cache it.
 */
import { RESOURCE_TYPES, apiGroups, resourcesIn } from "../resources/registry";
import { messageNameFor, messages } from "./fields";
import { groupVersionId, groupVersionPrefix, resourceListPath, resourcePaths } from "./openapi-paths";
import { componentSchemas, refTo, type Gvk } from "./openapi-schemas";

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
// Schemas every group/version document references from its operations.
const META_ROOTS = ["Status", "DeleteOptions", "Patch", "WatchEvent", "APIResourceList"].map((k) => `${META}.${k}`);
const INFO = { title: "Kubernetes", version: "v1.32.0" };

interface Entry {
  readonly doc: Record<string, unknown>;
  readonly hash: string;
}

let entries: Map<string, Entry> | undefined;

/** Every group/version we serve, in discovery order: [group, version]. */
function groupVersions(): [string, string][] {
  return apiGroups().flatMap((g) => g.versions.map((v): [string, string] => [g.name, v]));
}

/** The GVK tags of a top-level message: the kinds it is served as, its list and meta kinds. */
function gvksOf(messageName: string): Gvk[] {
  const out: Gvk[] = [];
  const add = (g: Gvk) => {
    if (!out.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) out.push(g);
  };
  for (const rt of RESOURCE_TYPES) {
    if (rt.message === messageName) add(rt);
    if (`${rt.message}List` === messageName) add({ group: rt.group, version: rt.version, kind: `${rt.kind}List` });
    for (const sub of rt.subresources) {
      const rk = sub.responseKind;
      if (rk && messageNameFor(rk.group, rk.version, rk.kind) === messageName) add(rk);
    }
  }
  if (out.length || !messageName.startsWith(`${META}.`)) return out;
  const kind = messageName.slice(META.length + 1);
  add({ group: "", version: "v1", kind });
  // Options and watch events are registered in every group/version.
  if (kind === "DeleteOptions" || kind === "WatchEvent") for (const [group, version] of groupVersions()) add({ group, version, kind });
  return out;
}

function document(paths: Record<string, unknown>, roots: Iterable<string>): Record<string, unknown> {
  return { openapi: "3.0.0", info: INFO, paths, components: { schemas: componentSchemas(roots, gvksOf) } };
}

function groupVersionDocument(group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = { ...resourceListPath(group, version) };
  const roots = new Set(META_ROOTS);
  for (const rt of resourcesIn(group, version)) {
    const list = messages[`${rt.message}List`] ? `${rt.message}List` : undefined;
    Object.assign(paths, resourcePaths(rt, list));
    roots.add(rt.message);
    if (list) roots.add(list);
    for (const sub of rt.subresources) {
      const rk = sub.responseKind;
      const m = rk && messageNameFor(rk.group, rk.version, rk.kind);
      if (m) roots.add(m);
    }
  }
  return document(sortKeys(paths), roots);
}

function discoveryDocument(path: string, id: string, messageName: string): Record<string, unknown> {
  const paths = {
    [path]: { get: { description: "get available API versions", operationId: id, responses: { "200": { content: { "application/json": { schema: refTo(messageName) } }, description: "OK" } } } },
  };
  return document(paths, [messageName]);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * A 128-bit FNV-1a over the JSON text, in four 32-bit lanes with distinct offset bases.
 * Synchronous on purpose (crypto.subtle is async); it only needs to change when content does.
 */
export function contentHash(text: string): string {
  const lanes = [0x811c9dc5, 0x050c5d1f, 0x1b873593, 0x27d4eb2f];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    for (let l = 0; l < 4; l++) lanes[l] = Math.imul(lanes[l] ^ (c + l), 0x01000193);
  }
  return lanes.map((h) => (h >>> 0).toString(16).toUpperCase().padStart(8, "0")).join("");
}

function build(): Map<string, Entry> {
  const docs = new Map<string, Record<string, unknown>>();
  docs.set("api", discoveryDocument("/api/", "getCoreAPIVersions", `${META}.APIVersions`));
  docs.set("apis", discoveryDocument("/apis/", "getAPIVersions", `${META}.APIGroupList`));
  for (const [group, version] of groupVersions()) {
    if (group !== "" && !docs.has(`apis/${group}`)) {
      const id = `get${groupVersionId(group, version).slice(0, -version.length)}APIGroup`;
      docs.set(`apis/${group}`, discoveryDocument(`/apis/${group}/`, id, `${META}.APIGroup`));
    }
    docs.set(groupVersionPrefix(group, version).slice(1), groupVersionDocument(group, version));
  }
  const out = new Map<string, Entry>();
  for (const [path, doc] of docs) out.set(path, { doc, hash: contentHash(JSON.stringify(doc)) });
  return out;
}

function all(): Map<string, Entry> {
  return (entries ??= build());
}

/**
 * GET /openapi/v3: the index of documents, each with a `serverRelativeURL` carrying its hash.
 *
 * @example
 * openapiV3Index().paths["apis/apps/v1"].serverRelativeURL; // "/openapi/v3/apis/apps/v1?hash=…"
 */
export function openapiV3Index(): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, e] of all()) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${e.hash}` };
  return { paths };
}

/**
 * GET /openapi/v3/<gvPath> (e.g. "api/v1", "apis/apps/v1"): the document, or undefined if unknown.
 * The returned object is shared and must not be mutated.
 */
export function openapiV3Document(gvPath: string): Record<string, unknown> | undefined {
  return all().get(gvPath.replace(/^\/+|\/+$/g, ""))?.doc;
}

/** The hash of a document as the index advertises it (for ETag / cache headers). */
export function openapiV3Hash(gvPath: string): string | undefined {
  return all().get(gvPath.replace(/^\/+|\/+$/g, ""))?.hash;
}
