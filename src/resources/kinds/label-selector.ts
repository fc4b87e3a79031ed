/**
 * metav1.LabelSelector: validation, matching against a label map, and the Go rendering that
 * appears in selector error messages.
 */
import { labelSelectorFromObject } from "../../lib/selectors";
import type { StatusCause } from "../../api/status";
import { forbidden, goQuote, goStringMap, goStringSlice, GoValue, invalid, required } from "./field-errors";
import { validateLabelName, validateLabels } from "./labels";
import { arr, isObj, obj, objs, str, type Obj } from "./shape";

/** Validates matchLabels and matchExpressions of a selector at `field`. */
export function validateLabelSelector(sel: Obj, field: string): StatusCause[] {
  const out = validateLabels(sel.matchLabels, `${field}.matchLabels`);
  objs(sel.matchExpressions).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const op = str(e.operator);
    const values = arr(e.values);
    if (op === "In" || op === "NotIn") {
      if (values.length === 0) out.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === "Exists" || op === "DoesNotExist") {
      if (values.length > 0) out.push(forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      out.push(invalid(`${at}.operator`, op, "not a valid selector operator"));
    }
    out.push(...validateLabelName(str(e.key), `${at}.key`));
  });
  return out;
}

/** Whether the selector selects nothing in particular (and so would match everything). */
export function isEmptySelector(sel: Obj): boolean {
  return Object.keys(obj(sel.matchLabels) ?? {}).length === 0 && objs(sel.matchExpressions).length === 0;
}

/** Whether `labels` satisfies the selector (an invalid selector matches nothing; validation reports it). */
export function selectorMatches(sel: Obj, labels: Record<string, unknown>): boolean {
  try {
    return labelSelectorFromObject(sel).matches(labels as Record<string, string>);
  } catch {
    return false;
  }
}

/** The selector as Go's `%#v` prints `v1.LabelSelector`, which kubectl users see verbatim. */
export function goLabelSelector(sel: unknown): GoValue {
  if (!isObj(sel)) return new GoValue("(*v1.LabelSelector)(nil)");
  const labels = isObj(sel.matchLabels) ? goStringMap(sel.matchLabels) : "map[string]string(nil)";
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${objs(sel.matchExpressions)
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(str(e.key))}, Operator:${goQuote(str(e.operator))}, Values:${goStringSlice(Array.isArray(e.values) ? e.values : undefined)}}`)
        .join(", ")}}`
    : "[]v1.LabelSelectorRequirement(nil)";
  return new GoValue(`v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprs}}`);
}
