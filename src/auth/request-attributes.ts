/**
 * Request attributes: what an authorizer sees of a request. The verb, group, resource,
 * namespace and name are derived from the method and path exactly as the API server's
 * RequestInfo resolver does, so RBAC rules written for Kubernetes mean the same thing here.
 */

/** The caller, as authentication established it. */
export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One equality term of a fieldSelector, kept for authorizers that look at it (the Node authorizer). */
export interface FieldTerm {
  readonly field: string;
  readonly op: "=" | "!=";
  readonly value: string;
}

export interface Attributes {
  user?: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource paths the lower-case method. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  /** "" for cluster-scoped requests and lists across all namespaces. */
  namespace: string;
  /** "" for collection requests (a list/watch narrowed by fieldSelector metadata.name=X gets X). */
  name: string;
  resourceRequest: boolean;
  path: string;
  /** The request's fieldSelector terms (list and watch only); unparseable selectors give []. */
  fieldSelector?: readonly FieldTerm[];
}

/** A path already resolved by the router; when given, its fields win over the raw path. */
export interface ParsedResource {
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

const METHOD_VERBS: Record<string, string> = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };

/**
 * Derives the authorization attributes of a request.
 *
 * @example attributesOf("GET", new URL("https://x/api/v1/namespaces/ns/pods?watch=1"))
 * // { verb: "watch", apiGroup: "", resource: "pods", namespace: "ns", name: "", resourceRequest: true, ... }
 * @example attributesOf("GET", new URL("https://x/version")) // { verb: "get", resourceRequest: false, path: "/version", ... }
 */
export function attributesOf(method: string, url: URL, parsed?: ParsedResource): Attributes {
  // Go's URL.Path is the decoded path; rules and messages use that form.
  const path = safeDecode(url.pathname);
  const attrs: Attributes = {
    verb: method.toLowerCase(),
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    resourceRequest: false,
    path,
  };
  let parts = url.pathname.split("/").filter(Boolean).map(safeDecode);
  if (parts[0] !== "api" && parts[0] !== "apis") return attrs;
  if (parts[0] === "apis") {
    // /apis and /apis/<group>/<version> with nothing after them are discovery, not resources.
    if (parts.length < 4) return attrs;
    attrs.apiGroup = parts[1];
    parts = parts.slice(2);
  } else {
    if (parts.length < 3) return attrs;
    parts = parts.slice(1);
  }
  attrs.resourceRequest = true;
  attrs.apiVersion = parts[0];
  parts = parts.slice(1);

  // The legacy /watch/ prefix names the verb in the path.
  if (parts[0] === "watch" && parts.length >= 2) {
    attrs.verb = "watch";
    parts = parts.slice(1);
  } else {
    attrs.verb = METHOD_VERBS[method.toUpperCase()] ?? "";
  }
  if (parts[0] === "namespaces" && parts.length > 1) {
    // A Namespace object is addressed inside itself: its own namespace is its name.
    attrs.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
  }
  attrs.resource = parts[0] ?? "";
  attrs.name = parts[1] ?? "";
  attrs.subresource = parts[2] ?? "";

  if (parsed) {
    attrs.apiGroup = parsed.group;
    attrs.apiVersion = parsed.version;
    attrs.resource = parsed.resource;
    attrs.subresource = parsed.subresource ?? "";
    attrs.name = parsed.name ?? "";
    attrs.namespace = parsed.namespace ?? (parsed.resource === "namespaces" && parsed.name ? parsed.name : "");
  }

  if (attrs.name === "" && attrs.verb === "get") {
    const watch = url.searchParams.get("watch");
    attrs.verb = watch !== null && isTrue(watch) ? "watch" : "list";
    attrs.fieldSelector = parseFieldTerms(url.searchParams.get("fieldSelector") ?? "");
    const byName = attrs.fieldSelector.filter((t) => t.field === "metadata.name" && t.op === "=");
    if (byName.length === 1 && isValidPathSegment(byName[0].value)) attrs.name = byName[0].value;
  } else if (attrs.verb === "watch") {
    attrs.fieldSelector = parseFieldTerms(url.searchParams.get("fieldSelector") ?? "");
  }
  if (attrs.name === "" && attrs.verb === "delete") attrs.verb = "deletecollection";
  return attrs;
}

/** Go's strconv.ParseBool, with upstream's fallback: an unparseable value other than false/0 means true. */
function isTrue(v: string): boolean {
  return !["0", "f", "F", "false", "FALSE", "False"].includes(v);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isValidPathSegment(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("%");
}

/** Splits "a=b,c!=d" into terms, honouring backslash escapes; any malformed term yields []. */
export function parseFieldTerms(s: string): FieldTerm[] {
  if (!s) return [];
  const terms: FieldTerm[] = [];
  for (const raw of splitUnescaped(s, ",")) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(raw);
    if (!m) return [];
    terms.push({ field: m[1].trim(), op: m[2] === "!=" ? "!=" : "=", value: m[3].replace(/\\(.)/g, "$1") });
  }
  return terms;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (s[i] === sep) {
      out.push(cur);
      cur = "";
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}
