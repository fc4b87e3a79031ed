import type { FieldValidation } from "../schema/decode";
import { errors, type StatusCause } from "./status";

/** Reads an integer query parameter, refusing junk the way upstream's decoder does. */
export function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid ${name}: ${JSON.stringify(v)}: must be an integer`);
  return n;
}

export function boolParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v === "true" || v === "1";
}

export interface WriteParams {
  dryRun: boolean;
  fieldValidation: FieldValidation;
}

const OPTIONS_KIND: Record<string, string> = { POST: "CreateOptions", PUT: "UpdateOptions", PATCH: "PatchOptions", DELETE: "DeleteOptions" };
const FIELD_VALIDATIONS: FieldValidation[] = ["Ignore", "Strict", "Warn"];

/**
 * The write options every mutating verb takes from the query. Unsupported values are a 422
 * against the verb's options kind (CreateOptions, PatchOptions, …), as upstream answers.
 */
export function writeParams(method: string, url: URL): WriteParams {
  const causes: StatusCause[] = [];
  const dryRun = url.searchParams.getAll("dryRun");
  const bad = dryRun.filter((v) => v !== "All");
  if (bad.length) {
    causes.push({ reason: "FieldValueNotSupported", field: "dryRun", message: `Unsupported value: []string{${dryRun.map((v) => JSON.stringify(v)).join(", ")}}: supported values: "All"` });
  }
  const fv = url.searchParams.get("fieldValidation") ?? "";
  if (fv !== "" && !FIELD_VALIDATIONS.includes(fv as FieldValidation)) {
    causes.push({ reason: "FieldValueNotSupported", field: "fieldValidation", message: `Unsupported value: ${JSON.stringify(fv)}: supported values: "Ignore", "Strict", "Warn"` });
  }
  if (causes.length) throw errors.invalid(OPTIONS_KIND[method] ?? "CreateOptions", "meta.k8s.io", "", causes);
  // Upstream's default when the client does not say is Warn.
  return { dryRun: dryRun.length > 0, fieldValidation: (fv || "Warn") as FieldValidation };
}
