/**
 * Label selectors: the `labelSelector` query parameter and metav1.LabelSelector objects
 * (spec.selector of workloads), both compiled to one matcher type.
 */
import { errors } from "../../api/status";
import { compareStrings, newRequirement, requirementMatches, requirementString, SelectorError, type LabelOperator, type LabelRequirement } from "./label-requirement";
import { parseLabelRequirements } from "./label-parser";

export interface LabelSelector {
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when the selector places no restriction (it matches every object). */
  readonly empty: boolean;
  toString(): string;
}

class RequirementSelector implements LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
  toString(): string {
    return this.requirements.map(requirementString).join(",");
  }
}

/** What a nil metav1.LabelSelector means upstream: selects nothing, yet is not "empty". */
const NOTHING: LabelSelector = { matches: () => false, empty: false, toString: () => "" };

/**
 * Parses the labelSelector query parameter (full set-based grammar: =, ==, !=, in (...),
 * notin (...), key, !key, plus upstream's > and <). Throws errors.badRequest with
 * upstream-like messages on bad syntax.
 * @example parseLabelSelector("app=web,tier in (fe,be),!canary").matches({ app: "web", tier: "fe" }) // true
 */
export function parseLabelSelector(s: string | undefined): LabelSelector {
  if (!s) return new RequirementSelector([]);
  try {
    return new RequirementSelector(parseLabelRequirements(s));
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

const EXPRESSION_OPS: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Upstream's LabelSelectorAsSelector; null means nil (select nothing). Throws SelectorError. */
function requirementsOf(sel: Record<string, unknown>): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  const matchLabels = isRecord(sel.matchLabels) ? sel.matchLabels : {};
  for (const [k, v] of Object.entries(matchLabels)) out.push(newRequirement(k, "=", [String(v)]));
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  for (const raw of exprs) {
    const expr = isRecord(raw) ? raw : {};
    const opName = typeof expr.operator === "string" ? expr.operator : "";
    const op = EXPRESSION_OPS[opName];
    if (!op) throw new SelectorError(`${JSON.stringify(opName)} is not a valid label selector operator`);
    const values = Array.isArray(expr.values) ? expr.values.map(String) : [];
    out.push(newRequirement(typeof expr.key === "string" ? expr.key : "", op, values));
  }
  return out.sort((a, b) => compareStrings(a.key, b.key));
}

function compileObject(sel: unknown): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING;
  if (!isRecord(sel)) throw new SelectorError("label selector must be an object");
  return new RequirementSelector(requirementsOf(sel));
}

/**
 * Converts a metav1.LabelSelector object (matchLabels/matchExpressions with In, NotIn,
 * Exists, DoesNotExist) into a matcher; null/undefined matches nothing (as upstream's
 * LabelSelectorAsSelector of nil), {} matches everything. Throws errors.badRequest on
 * invalid operators, keys or values.
 * @example labelSelectorFromObject({ matchLabels: { app: "web" } }).matches({ app: "web" }) // true
 */
export function labelSelectorFromObject(sel: unknown): LabelSelector {
  try {
    return compileObject(sel);
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

/**
 * Renders a metav1.LabelSelector as the string form (used by the Scale subresource
 * status.selector and printers): "app=web,tier in (a,b)". Requirements are sorted by key and
 * set values sorted; nil and {} both render as "". Throws errors.badRequest when invalid.
 * @example formatLabelSelector({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }) // "app=web,tier in (a,b)"
 */
export function formatLabelSelector(sel: unknown): string {
  return labelSelectorFromObject(sel).toString();
}
