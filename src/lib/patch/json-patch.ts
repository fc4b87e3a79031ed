/**
 * JSON patch, RFC 6902 (application/json-patch+json), as `kubectl rollout undo` and
 * `kubectl patch --type=json` send it. Operations are checked here first so that a
 * body of the wrong shape is a 400, like apiserver's decode step, while operations
 * that do not apply to the object are a 422.
 */
import { type Operation, applyPatch as applyOperations } from "fast-json-patch";
import { type JsonObject, cloneJson, goJsonKind, isObject } from "./json-value";
import { patchErrors } from "./patch-errors";

/** apiserver refuses JSON patches with more operations than this. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const OPS = new Set(["add", "remove", "replace", "move", "copy", "test"]);

/** Checks the body is a list of operation objects (400 otherwise). */
function decodeOperations(ops: unknown): JsonObject[] {
  if (!Array.isArray(ops)) throw patchErrors.decode(`json: cannot unmarshal ${goJsonKind(ops)} into Go value of type jsonpatch.Patch`);
  for (const op of ops) {
    if (!isObject(op)) throw patchErrors.decode(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) throw patchErrors.tooManyOperations(MAX_JSON_PATCH_OPERATIONS, ops.length);
  return ops;
}

/** True when an operation names a known op with the members that op needs. */
function wellFormed(op: JsonObject): op is JsonObject & Operation {
  if (typeof op.op !== "string" || !OPS.has(op.op) || typeof op.path !== "string") return false;
  if ((op.op === "move" || op.op === "copy") && typeof op.from !== "string") return false;
  if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) return false;
  return true;
}

/**
 * Applies RFC 6902 operations to `original` (not mutated). Throws 400 for a body that
 * is not a list of objects and 422 when an operation is unknown, misses a member,
 * targets a path that does not exist or fails its `test`.
 *
 * @example
 * jsonPatch(deployment, [{ op: "replace", path: "/spec/replicas", value: 3 }]);
 */
export function jsonPatch(original: object, ops: unknown): JsonObject {
  const operations = decodeOperations(ops);
  if (!operations.every(wellFormed)) throw patchErrors.unprocessable();
  const document = cloneJson(original);
  try {
    // Values are cloned too, so the result never aliases the request body.
    const result = applyOperations(document, cloneJson(operations) as Operation[], true, true).newDocument;
    if (!isObject(result)) throw patchErrors.unprocessable();
    return result;
  } catch {
    // apiserver reports every apply failure with the same message and no cause.
    throw patchErrors.unprocessable();
  }
}
