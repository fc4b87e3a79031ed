/**
 * One clause of a label selector ("app=web", "tier in (a,b)", "!canary"), how it matches a
 * label set and how it prints.
 */
import { aggregate, invalidField, labelKeyErrors, labelValueErrors } from "./label-validation";

/** The operators of apimachinery's `selection` package, spelled as it spells them. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/** One parsed clause: a key, an operator and the operator's values. */
export interface LabelRequirement {
  readonly key: string;
  readonly op: LabelOperator;
  /** Sorted when parsed from a string; as given when built from a LabelSelector object. */
  readonly values: readonly string[];
}

/** A selector that failed to parse or validate; callers turn it into a 400. */
export class SelectorError extends Error {
  override readonly name = "SelectorError";
}

const INT_RE = /^[+-]?\d+$/;
const OPERATORS: readonly string[] = ["in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"];

/**
 * Builds a requirement after checking it the way upstream's NewRequirement does: key syntax,
 * value count for the operator, value syntax. All problems are reported together.
 */
export function newRequirement(key: string, op: LabelOperator, values: readonly string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length) errs.push(invalidField("key", key, keyErrs.join("; ")));
  switch (op) {
    case "in":
    case "notin":
      if (values.length === 0) errs.push(invalidField("values", values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) errs.push(invalidField("values", values, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (values.length !== 0) errs.push(invalidField("values", values, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) errs.push(invalidField("values", values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (!INT_RE.test(v)) errs.push(invalidField(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${JSON.stringify(op)}: supported values: ${OPERATORS.map((o) => JSON.stringify(o)).join(", ")}`);
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalidField(`values[${i}][${key}]`, v, valueErrs.join("; ")));
  });
  if (errs.length) throw new SelectorError(aggregate(errs));
  return { key, op, values: [...values] };
}

/** Whether a label set satisfies one requirement (a missing key satisfies only !=, notin and !). */
export function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.op) {
    case "=":
    case "==":
    case "in":
      return has && r.values.includes(value as string);
    case "!=":
    case "notin":
      return !has || !r.values.includes(value as string);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || r.values.length !== 1 || !INT_RE.test(value as string)) return false;
      // BigInt keeps int64 label values exact.
      const actual = BigInt(value as string);
      const bound = BigInt(r.values[0]);
      return r.op === "gt" ? actual > bound : actual < bound;
    }
  }
}

const OP_TEXT: Record<LabelOperator, string> = { "=": "=", "==": "==", "!=": "!=", in: " in ", notin: " notin ", gt: ">", lt: "<", exists: "", "!": "" };

/** The canonical text of a requirement; multi-value sets print sorted. */
export function requirementString(r: LabelRequirement): string {
  if (r.op === "exists") return r.key;
  if (r.op === "!") return `!${r.key}`;
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(",");
  const body = r.op === "in" || r.op === "notin" ? `(${values})` : values;
  return `${r.key}${OP_TEXT[r.op]}${body}`;
}

/** Byte-order string comparison, as Go's sort.Strings does. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
