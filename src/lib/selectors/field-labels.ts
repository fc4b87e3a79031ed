/**
 * Which fields each resource lets a fieldSelector name, and how each field's value is read
 * from a stored object. Mirrors the field-label conversion functions kube-apiserver
 * registers per kind: kinds with one reject other fields with "field label not supported",
 * all others accept only metadata.name and metadata.namespace.
 */

type Obj = Record<string, unknown>;
/** Reads a selectable field as the string upstream compares against. */
export type FieldGetter = (obj: Obj) => string;

/** The selectable fields of one resource. */
export interface FieldLabels {
  readonly fields: Readonly<Record<string, FieldGetter>>;
  /** Legacy or version-specific names that select the same field under another name. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Whether the kind has its own conversion function (changes the rejection message). */
  readonly custom: boolean;
}

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Obj)[part];
  }
  return cur;
}

const str =
  (...paths: string[]): FieldGetter =>
  (o) => {
    for (const p of paths) {
      const v = at(o, p);
      if (typeof v === "string" && v !== "") return v;
    }
    return "";
  };
const bool =
  (path: string): FieldGetter =>
  (o) =>
    at(o, path) === true ? "true" : "false";
const int =
  (path: string): FieldGetter =>
  (o) => {
    const v = at(o, path);
    return typeof v === "number" ? String(Math.trunc(v)) : "0";
  };

const NAME = str("metadata.name");
const NAMESPACE = str("metadata.namespace");
const META = { "metadata.name": NAME, "metadata.namespace": NAMESPACE };

function podIP(o: Obj): string {
  const ips = at(o, "status.podIPs");
  if (Array.isArray(ips) && ips.length > 0) {
    const first = (ips[0] as Obj | null)?.ip;
    if (typeof first === "string") return first;
  }
  return str("status.podIP")(o);
}

// Stored events may be in either wire shape (core or events.k8s.io share storage), so each
// getter looks at both spellings.
const involved = (f: string): FieldGetter => str(`involvedObject.${f}`, `regarding.${f}`);
const reportingController = str("reportingComponent", "reportingController");
const eventSource: FieldGetter = (o) => str("source.component", "deprecatedSource.component")(o) || reportingController(o);
const INVOLVED = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"];

const CORE_EVENT: FieldLabels = {
  custom: true,
  fields: {
    ...META,
    ...Object.fromEntries(INVOLVED.map((f) => [`involvedObject.${f}`, involved(f)])),
    reason: str("reason"),
    reportingComponent: reportingController,
    source: eventSource,
    type: str("type"),
  },
};

const EVENTS_V1_EVENT: FieldLabels = {
  custom: true,
  fields: {
    ...META,
    ...Object.fromEntries(INVOLVED.map((f) => [`regarding.${f}`, involved(f)])),
    reason: str("reason"),
    reportingController,
    source: eventSource,
    type: str("type"),
  },
};

/** Keyed by "<group>/<resource>" ("" group for core). */
const BY_RESOURCE: Readonly<Record<string, FieldLabels>> = {
  "/pods": {
    custom: true,
    fields: {
      ...META,
      "spec.nodeName": str("spec.nodeName"),
      "spec.restartPolicy": str("spec.restartPolicy"),
      "spec.schedulerName": str("spec.schedulerName"),
      "spec.serviceAccountName": str("spec.serviceAccountName", "spec.serviceAccount"),
      "spec.hostNetwork": bool("spec.hostNetwork"),
      "status.phase": str("status.phase"),
      "status.podIP": podIP,
      "status.nominatedNodeName": str("status.nominatedNodeName"),
    },
    aliases: { "spec.host": "spec.nodeName" },
  },
  // Upstream's Node and Namespace conversions do not list metadata.namespace.
  "/nodes": { custom: true, fields: { "metadata.name": NAME, "spec.unschedulable": bool("spec.unschedulable") } },
  "/namespaces": { custom: true, fields: { "metadata.name": NAME, "status.phase": str("status.phase") } },
  "/secrets": { custom: true, fields: { ...META, type: str("type") } },
  "/services": { custom: true, fields: { ...META, "spec.clusterIP": str("spec.clusterIP"), "spec.type": str("spec.type") } },
  "/events": CORE_EVENT,
  "events.k8s.io/events": EVENTS_V1_EVENT,
  "apps/replicasets": { custom: true, fields: { ...META, "status.replicas": int("status.replicas") } },
};

const DEFAULT: FieldLabels = { custom: false, fields: META };

/** The field labels a resource accepts in a fieldSelector. */
export function fieldLabelsFor(group: string, resource: string): FieldLabels {
  return BY_RESOURCE[`${group}/${resource}`] ?? DEFAULT;
}
