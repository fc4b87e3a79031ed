/**
 * JSON merge patch, RFC 7386 (application/merge-patch+json): objects merge key by key,
 * null removes a key, anything else (including arrays) replaces the target value.
 */
import { type JsonObject, cloneJson, isObject } from "./json-value";

/**
 * Applies an RFC 7386 merge patch to `original` (not mutated). A patch that is not an
 * object replaces the whole document, as the RFC says.
 *
 * @example
 * jsonMergePatch({ spec: { replicas: 1, paused: true } }, { spec: { replicas: 4, paused: null } });
 * // → { spec: { replicas: 4 } }
 */
export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  return merge(original, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const result: JsonObject = isObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    // defineProperty so that a "__proto__" key stays a plain key.
    else Object.defineProperty(result, key, { value: merge(Object.hasOwn(result, key) ? result[key] : undefined, value), writable: true, enumerable: true, configurable: true });
  }
  return result;
}
