/**
 * Label and annotation map checks shared by object metadata, selectors and node taints.
 */
import type { StatusCause } from "../../api/status";
import { isQualifiedName, isValidLabelValue } from "../../lib/names";
import { invalid, tooLong } from "./field-errors";
import { isObj } from "./shape";

/** The cap on the summed length of all annotation keys and values. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** One label key; errors name the whole map's path, as upstream does. */
export function validateLabelName(key: string, field: string): StatusCause[] {
  return isQualifiedName(key).map((m) => invalid(field, key, m));
}

/** Every key and value of a label map (metadata.labels, selectors, nodeSelector). */
export function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (!isObj(labels)) return [];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    out.push(...validateLabelName(k, field));
    const value = typeof v === "string" ? v : String(v ?? "");
    out.push(...isValidLabelValue(value).map((m) => invalid(field, value, m)));
  }
  return out;
}

/** Annotation keys (lower-cased before checking, since they are case-insensitive) and total size. */
export function validateAnnotations(annotations: unknown, field: string): StatusCause[] {
  if (!isObj(annotations)) return [];
  const out: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    out.push(...isQualifiedName(k.toLowerCase()).map((m) => invalid(field, k, m)));
    size += new TextEncoder().encode(k).length + new TextEncoder().encode(typeof v === "string" ? v : "").length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) out.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return out;
}
