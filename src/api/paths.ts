import { errors } from "./status";
import { findResource, type ResourceType } from "../resources/registry";

/** A request path resolved to a resource: `/apis/apps/v1/namespaces/ns/deployments/web/scale`. */
export interface ResourcePath {
  rt: ResourceType;
  /** The namespace from the path; undefined for cluster-scoped paths and all-namespaces lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Parses the part of a path after /api/v1 or /apis/<g>/<v>. Returns undefined when the group
 * version is not served (→ 404), throws NotFound for unknown resources.
 */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) {
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length === 0) return undefined;
  // namespaces/<ns>/<resource>/... is a namespaced path unless <resource> is a namespace subresource.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const rt = findResource(group, version, rest[2]);
    if (rt && rt.namespaced) {
      if (rest.length > 5) throw errors.notFoundPath();
      return { rt, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
  }
  const rt = findResource(group, version, rest[0]);
  if (!rt || rest.length > 3) throw errors.notFoundPath();
  if (rt.namespaced && rest.length > 1) throw errors.notFoundPath();
  return { rt, name: rest[1], subresource: rest[2] };
}
