type Obj = Record<string, any>;

/** core/v1 field ↔ events.k8s.io/v1 field, for the fields whose names differ. */
const RENAMES: [core: string, events: string][] = [
  ["involvedObject", "regarding"],
  ["message", "note"],
  ["source", "deprecatedSource"],
  ["firstTimestamp", "deprecatedFirstTimestamp"],
  ["lastTimestamp", "deprecatedLastTimestamp"],
  ["count", "deprecatedCount"],
  ["reportingComponent", "reportingController"],
];
const SHARED = ["metadata", "reason", "type", "eventTime", "series", "action", "related", "reportingInstance"];

function rename(obj: Obj, pairs: [string, string][], apiVersion: string): Obj {
  const out: Obj = { apiVersion, kind: "Event" };
  for (const k of SHARED) if (obj[k] !== undefined) out[k] = obj[k];
  for (const [from, to] of pairs) if (obj[from] !== undefined) out[to] = obj[from];
  return out;
}

/** events.k8s.io/v1 → core/v1 (the storage form). */
export function eventToCore(obj: Obj): Obj {
  return rename(obj, RENAMES.map(([core, events]) => [events, core]), "v1");
}

/** core/v1 → events.k8s.io/v1. */
export function eventFromCore(obj: Obj): Obj {
  return rename(obj, RENAMES, "events.k8s.io/v1");
}
