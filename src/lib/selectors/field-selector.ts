/**
 * Field selectors ("spec.nodeName=n1,status.phase!=Failed"): parsing with upstream's escape
 * rules, checking each field against what the resource supports, and matching objects.
 */
import { errors } from "../../api/status";
import type { ResourceType } from "../../resources/registry";
import { fieldLabelsFor, type FieldLabels } from "./field-labels";

/** One "field=value" or "field!=value" term; "==" is stored as "=". */
export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

/** A parsed fieldSelector: the AND of its requirements. */
export interface FieldSelector {
  matches(obj: Record<string, unknown>): boolean;
  /** True when the selector places no restriction. */
  readonly empty: boolean;
  requirements: FieldRequirement[];
}

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    if (escaped) escaped = false;
    else if (s[i] === "\\") escaped = true;
    else if (s[i] === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// "!=" and "==" are tried before "=" so neither leaves a stray "=" in the value.
const TERM_OPERATORS = ["!=", "==", "="] as const;

function splitTerm(term: string): { lhs: string; op: (typeof TERM_OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** Undoes `\\`, `\,` and `\=`; any other escape, or a bare "," or "=", is an error. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== "\\" && c !== "," && c !== "=") throw errors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === "\\") {
      escaped = true;
    } else if (c === "," || c === "=") {
      // Upstream prints the rune as its code point.
      throw errors.badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw errors.badRequest("invalid field selector: invalid escape sequence: \\");
  return out;
}

function checkField(field: string, labels: FieldLabels): string {
  const canonical = labels.aliases?.[field] ?? field;
  if (Object.prototype.hasOwnProperty.call(labels.fields, canonical)) return canonical;
  if (labels.custom) throw errors.badRequest(`field label not supported: ${field}`);
  throw errors.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
}

/**
 * Parses fieldSelector ("a=b,c!=d", also "=="), checking each field is one the resource
 * supports (metadata.name and metadata.namespace nearly everywhere, plus per-kind fields
 * such as pods' spec.nodeName). An unsupported field is a 400 with upstream's message
 * ("field label not supported: X").
 * @example parseFieldSelector("spec.nodeName=n1,status.phase!=Failed", podsType).matches(pod)
 */
export function parseFieldSelector(s: string | undefined, rt: ResourceType): FieldSelector {
  const labels = fieldLabelsFor(rt.group, rt.resource);
  const requirements: FieldRequirement[] = [];
  // Upstream sorts the raw terms, which fixes the order requirements are reported in.
  const terms = s ? splitTerms(s).sort() : [];
  for (const term of terms) {
    if (term === "") continue;
    const parts = splitTerm(term);
    if (!parts) throw errors.badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const value = unescapeValue(parts.rhs);
    requirements.push({ field: parts.lhs, op: parts.op === "!=" ? "!=" : "=", value });
  }
  for (const r of requirements) r.field = checkField(r.field, labels);
  return {
    requirements,
    empty: requirements.length === 0,
    matches(obj) {
      return requirements.every((r) => (labels.fields[r.field](obj) === r.value) === (r.op === "="));
    },
  };
}
