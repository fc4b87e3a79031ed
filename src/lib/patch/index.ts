/**
 * The three PATCH body types kube-apiserver accepts besides server-side apply,
 * applied to plain JSON objects.
 */
import { type JsonObject, goJsonKind, isObject } from "./json-value";
import { jsonMergePatch } from "./json-merge-patch";
import { jsonPatch } from "./json-patch";
import { patchErrors } from "./patch-errors";
import { strategicMergePatch } from "./strategic-merge-patch";

export { jsonMergePatch } from "./json-merge-patch";
export { jsonPatch, MAX_JSON_PATCH_OPERATIONS } from "./json-patch";
export { strategicMergePatch } from "./strategic-merge-patch";
export type { JsonObject } from "./json-value";

export type PatchType = "json" | "merge" | "strategic";

const CONTENT_TYPES: Readonly<Record<string, PatchType>> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
};

/**
 * Maps a PATCH Content-Type to its patch type; undefined for unsupported ones
 * (apply-patch+yaml is handled elsewhere). Parameters such as charset are ignored.
 *
 * @example
 * patchTypeOf("application/merge-patch+json; charset=utf-8"); // "merge"
 */
export function patchTypeOf(contentType: string): PatchType | undefined {
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  return Object.hasOwn(CONTENT_TYPES, mediaType) ? CONTENT_TYPES[mediaType] : undefined;
}

/**
 * Applies a patch body (already JSON-parsed) to `original` (never mutated) and returns
 * the new object. `messageName` is the full proto message name of the object's kind
 * (e.g. "k8s.io.api.apps.v1.Deployment"), used for strategic merge metadata.
 *
 * Throws StatusError as apiserver answers: 400 BadRequest for a body of the wrong shape
 * or a malformed directive, 422 Invalid for a JSON patch that does not apply, 413 for
 * too many JSON patch operations, 500 for strategic merges the algorithm rejects.
 *
 * @example
 * applyPatch("strategic", deployment, { spec: { paused: true } }, "k8s.io.api.apps.v1.Deployment");
 */
export function applyPatch(type: PatchType, original: object, patch: unknown, messageName: string): JsonObject {
  switch (type) {
    case "json":
      return jsonPatch(original, patch);
    case "merge":
      // A non-object merge patch would replace the whole object with something that is not one.
      if (!isObject(patch)) throw patchErrors.decode(`error decoding patch: json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
      return jsonMergePatch(original, patch) as JsonObject;
    case "strategic":
      return strategicMergePatch(original, patch, messageName);
  }
}
