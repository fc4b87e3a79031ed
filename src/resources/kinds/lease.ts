/**
 * Leases (coordination.k8s.io/v1): positive durations and non-negative transitions.
 */
import type { StatusCause } from "../../api/status";
import { invalid, nonNegative, notSupported } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { obj, str, type Obj } from "./shape";

/** Validates a Lease create or update. */
export function validateLease(lease: Obj): StatusCause[] {
  const spec = obj(lease.spec) ?? {};
  const out: StatusCause[] = [];
  const d = spec.leaseDurationSeconds;
  if (typeof d === "number" && d <= 0) out.push(invalid("spec.leaseDurationSeconds", d, "must be greater than 0"));
  out.push(...nonNegative("spec.leaseTransitions", spec.leaseTransitions));
  const strategy = str(spec.strategy);
  if (strategy && strategy !== "OldestEmulationVersion") out.push(notSupported("spec.strategy", strategy, ["OldestEmulationVersion"]));
  return out;
}

/** Lease behaviour. */
export const lease: KindBehaviour = { validate: validateLease };
