/**
 * Container `resources` checks: well-formed non-negative quantities, standard resource names,
 * and requests that do not exceed limits.
 */
import type { StatusCause } from "../../api/status";
import { isQualifiedName } from "../../lib/names";
import { formatQuantity, parseQuantity, QUANTITY_SYNTAX_ERROR } from "../../lib/quantity";
import { invalid, keyPath } from "./field-errors";
import { obj } from "./shape";

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

function validateResourceName(name: string, field: string): StatusCause[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes("/") && !STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith("hugepages-"))
    return [invalid(field, name, "must be a standard resource for containers")];
  return [];
}

function validateQuantities(m: Record<string, unknown> | undefined, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [name, raw] of Object.entries(m ?? {})) {
    const path = keyPath(field, name);
    out.push(...validateResourceName(name, path));
    const q = typeof raw === "string" || typeof raw === "number" ? parseQuantity(raw) : undefined;
    if (!q) out.push(invalid(path, String(raw), QUANTITY_SYNTAX_ERROR));
    else if (q.milli < 0) out.push(invalid(path, String(raw), "must be greater than or equal to 0"));
  }
  return out;
}

/** Validates `resources` of one container at `field` (e.g. "spec.containers[0].resources"). */
export function validateResourceRequirements(resources: unknown, field: string): StatusCause[] {
  const res = obj(resources);
  if (!res) return [];
  const limits = obj(res.limits);
  const requests = obj(res.requests);
  const out = [...validateQuantities(limits, `${field}.limits`), ...validateQuantities(requests, `${field}.requests`)];
  for (const [name, raw] of Object.entries(requests ?? {})) {
    const limitRaw = limits?.[name];
    if (limitRaw === undefined) continue;
    const req = parseQuantity(raw as string | number);
    const lim = parseQuantity(limitRaw as string | number);
    if (req && lim && req.milli > lim.milli)
      out.push(invalid(keyPath(`${field}.requests`, name), formatQuantity(req.milli, req.format), `must be less than or equal to ${name} limit of ${formatQuantity(lim.milli, lim.format)}`));
  }
  return out;
}
