/**
 * The pure arithmetic of deployments (upstream deployment/util): surge and unavailability
 * fenceposts, how far a new ReplicaSet may grow, proportional shares when a deployment is
 * resized mid-rollout, revision bookkeeping and the orderings ReplicaSets are processed in.
 * Nothing here reads or writes the cluster.
 */

type Obj = Record<string, any>;

export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
/** The revision-history annotation is trimmed from the front past this many characters. */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/** Deployment annotations never copied to its ReplicaSets. */
const ANNOTATIONS_TO_SKIP = new Set([
  "kubectl.kubernetes.io/last-applied-configuration",
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  "deprecated.deployment.rollback.to",
]);

/** spec.replicas with the apps/v1 default of 1. */
export function replicasOf(obj: Obj | undefined): number {
  return typeof obj?.spec?.replicas === "number" ? obj.spec.replicas : 1;
}

export function isRollingUpdate(d: Obj): boolean {
  return (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate";
}

/**
 * An int-or-percent scaled against `total`: percentages round up or down as asked.
 * @example scaledValue("25%", 10, true) // 3 (2.5 rounded up)
 * @example scaledValue("25%", 10, false) // 2 (2.5 rounded down)
 * @example scaledValue(2, 10, true) // 2
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  if (!v.endsWith("%")) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const n = Number(v.slice(0, -1));
  if (!Number.isInteger(n)) throw new Error(`invalid value "${v}": not an integer percentage`);
  const scaled = (n * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/**
 * maxSurge and maxUnavailable resolved against the desired replicas. Surge rounds up and
 * unavailability rounds down, so percentages err on the side of availability; when both come
 * out 0 (e.g. maxSurge 0, maxUnavailable 10% of 5 = 0.5 → 0), unavailability becomes 1 or the
 * rollout could never progress.
 * @example resolveFenceposts("25%", "25%", 10) // { surge: 3, unavailable: 2 }
 * @example resolveFenceposts("25%", "25%", 1)  // { surge: 1, unavailable: 0 }
 * @example resolveFenceposts(0, "10%", 5)      // { surge: 0, unavailable: 1 }
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Pods a rolling update may run above spec.replicas (0 for Recreate). */
export function maxSurge(d: Obj): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).surge;
}

/** Pods a rolling update may have unavailable, capped at spec.replicas (0 for Recreate or 0 replicas). */
export function maxUnavailable(d: Obj): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return Math.min(replicas, resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas).unavailable);
}

const sum = (rss: readonly (Obj | undefined)[], f: (rs: Obj) => number) => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
/** Σ spec.replicas: the pods the ReplicaSets are asked for. */
export const specReplicas = (rss: readonly (Obj | undefined)[]) => sum(rss, (rs) => rs.spec?.replicas ?? 0);
/** Σ status.replicas: the pods they have. */
export const actualReplicas = (rss: readonly (Obj | undefined)[]) => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (rss: readonly (Obj | undefined)[]) => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (rss: readonly (Obj | undefined)[]) => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/** ReplicaSets asked for at least one pod. */
export function filterActive(rss: readonly (Obj | undefined)[]): Obj[] {
  return rss.filter((rs): rs is Obj => !!rs && (rs.spec?.replicas ?? 0) > 0);
}

/**
 * The size the new ReplicaSet may grow to now. RollingUpdate: up to spec.replicas + surge pods
 * in total, never beyond spec.replicas for the new one. Recreate: straight to spec.replicas.
 * @example // replicas 4, maxSurge 1, old RS 4, new RS 0: 5 - 4 = 1 → 1
 * @example // replicas 4, maxSurge 1, old RS 3, new RS 1: 5 - 4 = 1 → 2
 * @example // replicas 4, maxSurge 1, old RS 4, new RS 1: 5 - 5 = 0 → stays 1
 */
export function newRSNewReplicas(d: Obj, allRSs: readonly (Obj | undefined)[], newRS: Obj): number {
  const desired = replicasOf(d);
  const current = newRS.spec?.replicas ?? 0;
  if (!isRollingUpdate(d)) return desired;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const maxTotal = desired + scaledValue(ru.maxSurge ?? 0, desired, true);
  const podCount = specReplicas(allRSs);
  if (podCount >= maxTotal) return current;
  return current + Math.min(maxTotal - podCount, desired - current);
}

/** Go's integer.RoundToInt32: halves round away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? Math.trunc(x - 0.5) : Math.trunc(x + 0.5);
}

function intAnnotation(rs: Obj, key: string): number | undefined {
  const raw = rs.metadata?.annotations?.[key];
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw)) return undefined;
  return Number.parseInt(raw, 10);
}

export const desiredReplicasAnnotation = (rs: Obj) => intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
export const maxReplicasAnnotation = (rs: Obj) => intAnnotation(rs, MAX_REPLICAS_ANNOTATION);

/**
 * The change a ReplicaSet's share of a resize would make: its size scaled by the ratio of the
 * deployment's new maximum (replicas + surge) to the maximum it was sized for (its
 * max-replicas annotation, else the deployment's status.replicas).
 * @example // RS at 5 annotated for max 12 (10 + 2 surge); deployment now 20 (+4 surge = 24): 5*24/12 = 10 → +5
 */
export function replicaSetFraction(rs: Obj, d: Obj): number {
  const size = rs.spec?.replicas ?? 0;
  if (replicasOf(d) === 0) return -size;
  const newMax = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs);
  // Without the annotation (or 0), the deployment's current size is the best guess.
  const oldMax: number = annotated ? annotated : (d.status?.replicas ?? 0);
  if (oldMax === 0) return 0;
  return roundHalfAway((size * newMax) / oldMax) - size;
}

/**
 * How many of `toAdd` (negative: to remove) this ReplicaSet takes, given `added` already
 * handed out: its fraction, but never past what is left.
 * @example getProportion(rs5of12, d20, 10, 0) // min(5, 10) = 5
 * @example getProportion(rs5of12, d20, 10, 8) // min(5, 2) = 2
 */
export function getProportion(rs: Obj | undefined, d: Obj, toAdd: number, added: number): number {
  if (!rs || (rs.spec?.replicas ?? 0) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** The new ReplicaSet has every desired pod, available, and was sized for this replica count. */
export function isSaturated(d: Obj, rs: Obj | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  const replicas = replicasOf(d);
  return (rs.spec?.replicas ?? 0) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

// ----- orderings -----

function created(rs: Obj): number {
  const t = Date.parse(rs.metadata?.creationTimestamp ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first; same second → by name. */
export function byCreation(a: Obj, b: Obj): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? "";
  const nb = b.metadata?.name ?? "";
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Largest first; equal sizes oldest first (where a scale-down takes from). */
export function bySizeOlder(a: Obj, b: Obj): number {
  const d = (b.spec?.replicas ?? 0) - (a.spec?.replicas ?? 0);
  return d !== 0 ? d : byCreation(a, b);
}

/** Largest first; equal sizes newest first (where a scale-up adds to). */
export function bySizeNewer(a: Obj, b: Obj): number {
  const d = (b.spec?.replicas ?? 0) - (a.spec?.replicas ?? 0);
  return d !== 0 ? d : byCreation(b, a);
}

/** Lowest revision first; ties by creation. */
export function byRevision(a: Obj, b: Obj): number {
  const d = revisionOf(a) - revisionOf(b);
  return d !== 0 ? d : byCreation(a, b);
}

/**
 * The one active ReplicaSet to resize directly: the only one with pods, or (none active) the
 * new one or else the newest old one; undefined when several have pods.
 */
export function findActiveOrLatest(newRS: Obj | undefined, oldRSs: readonly Obj[]): Obj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

// ----- revisions and annotations -----

/** The revision annotation as a number (0 when absent or malformed). */
export function revisionOf(obj: Obj): number {
  const raw = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  if (typeof raw !== "string" || !/^\d+$/.test(raw)) return 0;
  return Number.parseInt(raw, 10);
}

export function maxRevision(rss: readonly Obj[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Copies the deployment's annotations (but the skipped ones) onto the ReplicaSet; true when one changed. */
export function copyDeploymentAnnotations(d: Obj, rs: Obj): boolean {
  const meta = (rs.metadata ??= {});
  const annotations: Obj = (meta.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (ANNOTATIONS_TO_SKIP.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** Writes desired-replicas and max-replicas; true when either changed. */
export function setReplicasAnnotations(rs: Obj, desired: number, max: number): boolean {
  const annotations: Obj = ((rs.metadata ??= {}).annotations ??= {});
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: Obj, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations;
  if (!a) return true;
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * Brings the new ReplicaSet's annotations up to date: the deployment's annotations, a revision
 * of at least `newRevision` (an old ReplicaSet becoming current again is renumbered, and its
 * previous number appended to revision-history), and for a ReplicaSet about to be created the
 * replica annotations. Mutates `rs`; true when anything changed.
 * @example // RS at revision 1 becoming current when the highest old revision is 3: revision "4", revision-history "1"
 */
export function setNewReplicaSetAnnotations(d: Obj, rs: Obj, newRevision: number, exists: boolean, historyLimit = MAX_REV_HISTORY_LENGTH_IN_CHARS): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations: Obj = rs.metadata.annotations;
  const had = Object.prototype.hasOwnProperty.call(annotations, REVISION_ANNOTATION);
  const oldRaw: string = had ? String(annotations[REVISION_ANNOTATION]) : "";
  let oldRevision = 0;
  if (oldRaw !== "") {
    if (!/^-?\d+$/.test(oldRaw)) return false;
    oldRevision = Number.parseInt(oldRaw, 10);
  }
  if (oldRevision < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
  }
  if (had && oldRevision < newRevision) {
    const history: string = annotations[REVISION_HISTORY_ANNOTATION] ?? "";
    const parts = history.split(",");
    if (parts[0].length === 0) {
      annotations[REVISION_HISTORY_ANNOTATION] = oldRaw;
    } else {
      let total = history.length + oldRaw.length + 1;
      let start = 0;
      while (total > historyLimit && start < parts.length) {
        total -= parts[start].length + 1;
        start++;
      }
      if (total <= historyLimit) annotations[REVISION_HISTORY_ANNOTATION] = [...parts.slice(start), oldRaw].join(",");
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Sets the deployment's own revision annotation; true when it changed. */
export function setDeploymentRevision(d: Obj, revision: string): boolean {
  const annotations: Obj = ((d.metadata ??= {}).annotations ??= {});
  if (annotations[REVISION_ANNOTATION] === revision) return false;
  annotations[REVISION_ANNOTATION] = revision;
  return true;
}

// ----- templates -----

/** Fields that are Go maps or slices: absent, null and empty compare equal (semantic equality). */
const MAP_FIELDS = new Set(["labels", "annotations", "nodeSelector", "limits", "requests", "overhead"]);

function semantic(v: unknown, key = ""): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => semantic(x));
  if (typeof v === "object") {
    const out: Obj = {};
    for (const k of Object.keys(v as Obj).sort()) {
      const s = semantic((v as Obj)[k], k);
      if (s !== undefined) out[k] = s;
    }
    if (MAP_FIELDS.has(key) && Object.keys(out).length === 0) return undefined;
    return out;
  }
  return v;
}

/** Stable JSON (sorted keys) of a value. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Obj = {};
    for (const k of Object.keys(v as Obj).sort()) if ((v as Obj)[k] !== undefined) out[k] = sortKeys((v as Obj)[k]);
    return out;
  }
  return v;
}

/** Deep equality ignoring key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Two pod templates are the same apart from the pod-template-hash label. */
export function equalIgnoreHash(t1: Obj | undefined, t2: Obj | undefined): boolean {
  const strip = (t: Obj | undefined) => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    return semantic(c);
  };
  return JSON.stringify(strip(t1)) === JSON.stringify(strip(t2));
}

/** A selector with one more matchLabels entry. */
export function selectorWithLabel(selector: Obj | undefined, key: string, value: string): Obj {
  const out = structuredClone(selector ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}
