/**
 * Nodes: allocatable defaults to capacity, taints must be well formed, podCIDRs parse.
 */
import type { StatusCause } from "../../api/status";
import { duplicate, invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { validateLabelName } from "./labels";
import { isValidLabelValue } from "../../lib/names";
import { arr, obj, objs, str, type Obj } from "./shape";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** Fills a Node's defaults in place. */
export function defaultNode(node: Obj): void {
  const status = obj(node.status);
  const capacity = obj(status?.capacity);
  // A kubelet that reports only capacity means "all of it is schedulable".
  if (status && capacity && !obj(status.allocatable)) status.allocatable = structuredClone(capacity);
}

function isCIDR(s: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const bits = Number(m[2]);
  if (m[1].includes(":")) return bits <= 128 && /^[0-9a-fA-F:.]+$/.test(m[1]);
  const octets = m[1].split(".");
  return bits <= 32 && octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/** Validates a Node create or update. */
export function validateNode(node: Obj): StatusCause[] {
  const spec = obj(node.spec) ?? {};
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  objs(spec.taints).forEach((t, i) => {
    const at = `spec.taints[${i}]`;
    const key = str(t.key);
    out.push(...validateLabelName(key, `${at}.key`));
    const value = str(t.value);
    if (value) out.push(...isValidLabelValue(value).map((m) => invalid(`${at}.value`, value, m)));
    const effect = str(t.effect);
    if (!effect) out.push(required(`${at}.effect`));
    else if (!TAINT_EFFECTS.includes(effect)) out.push(notSupported(`${at}.effect`, effect, TAINT_EFFECTS));
    const id = `${key}:${effect}`;
    if (seen.has(id)) out.push(duplicate(`${at}`, `${key}=${value}:${effect}`));
    seen.add(id);
  });
  const cidrs = [...(spec.podCIDR ? [spec.podCIDR] : []), ...arr(spec.podCIDRs)].map(String);
  for (const [i, c] of cidrs.entries()) if (!isCIDR(c)) out.push(invalid(i === 0 && spec.podCIDR ? "spec.podCIDR" : `spec.podCIDRs[${i}]`, c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
  return out;
}

/** Node behaviour. */
export const node: KindBehaviour = { defaults: defaultNode, validate: validateNode };
