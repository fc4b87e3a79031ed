/**
 * Syntax checks for label keys and values in selectors, with the messages kube-apiserver puts
 * in its 400 responses. The rules themselves are the shared name rules of ../names.
 */
import { isQualifiedName, isValidLabelValue } from "../names";

/** Problems with a label key (`[prefix/]name`); empty when the key is valid. */
export const labelKeyErrors = isQualifiedName;

/** Problems with a label value; empty when the value is valid ("" is valid). */
export const labelValueErrors = isValidLabelValue;

/** One field error, rendered as upstream's `field.Invalid(...).Error()`. */
export function invalidField(path: string, value: unknown, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}${detail ? `: ${detail}` : ""}`;
}

/** Several messages joined as upstream's aggregate error does (deduplicated, bracketed when more than one). */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(", ")}]`;
}
