import { errors, qualifiedResource, StatusError } from "../api/status";
import type { Clock } from "../lib/clock";
import { rfc3339 } from "../lib/clock";
import { parseFieldSelector, parseLabelSelector } from "../lib/selectors";
import { findResource, type ResourceType } from "../resources/registry";
import { prepareForCreate, prepareForUpdate } from "../resources/strategy";
import { RevisionLog, storageKey, withResourceVersion, type LogRow } from "./revision-log";
import { canonicalJson, decodeContinue, encodeContinue } from "./serialize";
import type { ChangeEvent, WatchHub } from "./watch-hub";

type Obj = Record<string, any>;

export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  /** Object JSON with resourceVersion filled in. */
  items: string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
}

export interface UpdateOptions extends WriteOptions {
  subresource?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type DeleteResult = { kind: "object"; json: string } | { kind: "deleted"; uid: string; json: string };

/**
 * Kind-specific steps on an object about to be written that need the store's state (a Service's
 * cluster IP and node ports). They fill fields in place or throw a StatusError to refuse.
 */
export interface WriteHooks {
  beforeCreate?(rt: ResourceType, obj: Obj): void;
  beforeUpdate?(rt: ResourceType, next: Obj, old: Obj, subresource: string | undefined): void;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function resolveRef(ref: ResourceRef): ResourceType {
  const rt = findResource(ref.group, ref.version, ref.resource);
  if (!rt) throw errors.notFoundPath();
  return rt;
}

/**
 * The serialized half of the API: compare-and-swap writes with the stateful admission that
 * needs the store (namespace lifecycle, generated names, finalizers), reads and lists.
 */
export class ObjectStore {
  constructor(
    private readonly log: RevisionLog,
    private readonly hub: WatchHub,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
    /** Called after each committed write (the controllers' enqueue hook). */
    private readonly onWrite: (rt: ResourceType, events: ChangeEvent[]) => void = () => {},
    private readonly hooks: WriteHooks = {},
  ) {}

  get revision(): number {
    return this.log.revision;
  }

  get(rt: ResourceType, namespace: string, name: string): string {
    const row = this.log.latest(storageKey(rt.storage, namespace, name));
    if (!row) throw errors.notFound(rt.resource, rt.group, name);
    return this.present(rt, row);
  }

  /** The stored object, parsed, or undefined. */
  read(rt: ResourceType, namespace: string, name: string): { obj: Obj; rev: number } | undefined {
    const row = this.log.latest(storageKey(rt.storage, namespace, name));
    return row ? { obj: this.parse(rt, row), rev: row.id } : undefined;
  }

  list(rt: ResourceType, namespace: string | undefined, opts: ListOptions): ListResult {
    const labels = parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, rt);
    let afterKey = "";
    let rev = this.log.revision;
    if (opts.continue) {
      const c = decodeContinue(opts.continue);
      if (!c) throw errors.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
      if (c.rv < this.log.compactRevision) {
        throw errors.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
      }
      afterKey = c.start;
      rev = c.rv;
    }
    const nameReq = fields.requirements.length === 1 && fields.requirements[0].field === "metadata.name" && fields.requirements[0].op === "=" ? fields.requirements[0].value : undefined;
    if (nameReq !== undefined && namespace !== undefined) {
      const row = this.log.latest(storageKey(rt.storage, namespace, nameReq));
      const items = row && labels.matches(this.parse(rt, row).metadata?.labels) ? [this.present(rt, row)] : [];
      return { items, resourceVersion: String(rev) };
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const filtering = !labels.empty || !fields.empty;
    const items: string[] = [];
    let lastKey = afterKey;
    // Scan in pages so a selective filter over a large prefix still fills `limit` items.
    const page = limit ? Math.max(limit, 100) : 0;
    for (;;) {
      const rows = this.log.list(rt.storage, namespace, lastKey, page);
      for (const row of rows) {
        lastKey = row.key;
        if (filtering) {
          const obj = this.parse(rt, row);
          if (!labels.matches(obj.metadata?.labels) || !fields.matches(obj)) continue;
        }
        items.push(this.present(rt, row));
        if (limit && items.length === limit) {
          // Only whether more follow matters (remainingItemCount is optional and costs a count).
          if (!this.log.hasMore(rt.storage, namespace, lastKey)) return { items, resourceVersion: String(rev) };
          return { items, resourceVersion: String(rev), continue: encodeContinue(rev, lastKey) };
        }
      }
      if (!page || rows.length < page) break;
    }
    return { items, resourceVersion: String(rev) };
  }

  create(rt: ResourceType, input: Obj, opts: WriteOptions): string {
    const obj = structuredClone(input);
    const meta = (obj.metadata ??= {});
    const namespace: string = rt.namespaced ? meta.namespace : "";
    if (rt.namespaced) this.admitNamespace(rt, namespace, meta.name ?? meta.generateName ?? "");
    if (!meta.name) {
      if (!meta.generateName) throw errors.invalid(rt.kind, rt.group, "", [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }]);
      meta.name = this.generateName(rt, namespace, meta.generateName);
    }
    const key = storageKey(rt.storage, namespace, meta.name);
    if (this.log.latest(key)) throw errors.alreadyExists(rt.resource, rt.group, meta.name);
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = rfc3339(this.clock.now());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.generation;
    prepareForCreate(rt, obj);
    this.hooks.beforeCreate?.(rt, obj);
    const value = canonicalJson(obj);
    if (opts.dryRun) return withResourceVersion(value, this.log.revision);
    const row = this.commit(rt, [{ key, namespace, created: true, deleted: false, createRevision: 0, prevRevision: 0, value }])[0];
    return withResourceVersion(row.value, row.id);
  }

  /**
   * Replaces an object. `expectedRv` (the client's metadata.resourceVersion) makes it a
   * compare-and-swap; without it the update is unconditional, as upstream allows.
   */
  update(rt: ResourceType, input: Obj, opts: UpdateOptions): string {
    const meta = input.metadata ?? {};
    const namespace: string = rt.namespaced ? meta.namespace : "";
    const key = storageKey(rt.storage, namespace, meta.name);
    const cur = this.log.latest(key);
    if (!cur) throw errors.notFound(rt.resource, rt.group, meta.name);
    const expectedRv: string | undefined = meta.resourceVersion || undefined;
    if (expectedRv !== undefined && expectedRv !== String(cur.id)) {
      throw errors.conflict(rt.resource, rt.group, meta.name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    const old = this.parse(rt, cur);
    if (meta.uid && meta.uid !== old.metadata.uid) {
      throw errors.conflict(rt.resource, rt.group, meta.name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const next = prepareForUpdate(rt, structuredClone(input), old, opts.subresource);
    this.hooks.beforeUpdate?.(rt, next, old, opts.subresource);
    const finalizers: string[] = [...(next.metadata.finalizers ?? []), ...(rt.kind === "Namespace" ? (next.spec?.finalizers ?? []) : [])];
    if (next.metadata.deletionTimestamp && finalizers.length === 0 && (old.metadata.deletionGracePeriodSeconds ?? 0) === 0) {
      // The last finalizer is gone: the pending deletion completes now. (A pod still in its
      // grace period waits for its kubelet's final delete instead.)
      const value = canonicalJson(next);
      if (opts.dryRun) return withResourceVersion(value, cur.id);
      const row = this.commit(rt, [{ key, namespace, created: false, deleted: true, createRevision: cur.create_revision, prevRevision: cur.id, value }], [cur.value])[0];
      return withResourceVersion(row.value, row.id);
    }
    const value = canonicalJson(next);
    if (value === cur.value || opts.dryRun) return withResourceVersion(value, cur.id);
    const row = this.commit(rt, [{ key, namespace, created: false, deleted: false, createRevision: cur.create_revision, prevRevision: cur.id, value }], [cur.value])[0];
    return withResourceVersion(row.value, row.id);
  }

  delete(rt: ResourceType, namespace: string, name: string, opts: DeleteOptions): DeleteResult {
    const key = storageKey(rt.storage, namespace, name);
    const cur = this.log.latest(key);
    if (!cur) throw errors.notFound(rt.resource, rt.group, name);
    const obj = this.parse(rt, cur);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== obj.metadata.uid) {
      throw errors.conflict(rt.resource, rt.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== String(cur.id)) {
      throw errors.conflict(rt.resource, rt.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.id}`);
    }
    const meta = obj.metadata;
    const finalizers: string[] = [...(meta.finalizers ?? [])];
    if (opts.propagationPolicy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
    if (opts.propagationPolicy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
    const graceful = this.gracefulSeconds(rt, obj, opts.gracePeriodSeconds);
    const namespaceLifecycle = rt.kind === "Namespace" && rt.group === "";
    if (finalizers.length > 0 || graceful > 0 || namespaceLifecycle) {
      if (meta.deletionTimestamp && graceful === 0 && !namespaceLifecycle && sameList(finalizers, meta.finalizers ?? [])) {
        return { kind: "object", json: this.present(rt, cur) };
      }
      if (!meta.deletionTimestamp) {
        meta.deletionTimestamp = rfc3339(this.clock.now() + graceful * 1000);
        meta.deletionGracePeriodSeconds = graceful;
      } else if (graceful < (meta.deletionGracePeriodSeconds ?? 0)) {
        meta.deletionTimestamp = rfc3339(this.clock.now() + graceful * 1000);
        meta.deletionGracePeriodSeconds = graceful;
      }
      if (finalizers.length) meta.finalizers = finalizers;
      if (namespaceLifecycle) obj.status = { ...(obj.status ?? {}), phase: "Terminating" };
      const value = canonicalJson(obj);
      if (opts.dryRun) return { kind: "object", json: withResourceVersion(value, cur.id) };
      if (value === cur.value) return { kind: "object", json: this.present(rt, cur) };
      const row = this.commit(rt, [{ key, namespace, created: false, deleted: false, createRevision: cur.create_revision, prevRevision: cur.id, value }], [cur.value])[0];
      return { kind: "object", json: withResourceVersion(row.value, row.id) };
    }
    if (opts.dryRun) return { kind: "deleted", uid: meta.uid, json: this.present(rt, cur) };
    const row = this.commit(rt, [{ key, namespace, created: false, deleted: true, createRevision: cur.create_revision, prevRevision: cur.id, value: cur.value }], [cur.value])[0];
    return { kind: "deleted", uid: meta.uid, json: withResourceVersion(row.value, row.id) };
  }

  /** Writes rows in one transaction, then tells watchers and controllers. */
  commit(
    rt: ResourceType,
    writes: { key: string; namespace: string; created: boolean; deleted: boolean; createRevision: number; prevRevision: number; value: string }[],
    prevValues: (string | undefined)[] = [],
  ): LogRow[] {
    const noHistory = rt.resource === "leases";
    // The controllers' queue rows commit in the same transaction as the write they react to.
    const events = this.log.transaction(() => {
      const evs = writes.map((w, i) => ({ row: this.log.append({ ...w, storage: rt.storage, noHistory }), prevValue: prevValues[i] }));
      this.onWrite(rt, evs);
      return evs;
    });
    this.hub.publish(events);
    return events.map((e) => e.row);
  }

  private gracefulSeconds(rt: ResourceType, obj: Obj, requested: number | undefined): number {
    // Only pods bound to a node wait for their kubelet; everything else goes at once.
    if (rt.kind !== "Pod" || !obj.spec?.nodeName) return 0;
    if (obj.status?.phase === "Succeeded" || obj.status?.phase === "Failed") return 0;
    const grace = requested ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  }

  /** Upstream's NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private admitNamespace(rt: ResourceType, namespace: string, name: string): void {
    const nsType = findResource("", "v1", "namespaces")!;
    const row = this.log.latest(storageKey(nsType.storage, "", namespace));
    if (!row) throw errors.notFound("namespaces", "", namespace);
    const ns = JSON.parse(row.value);
    if (ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") {
      const what = name ? `${qualifiedResource(rt.resource, rt.group)} "${name}"` : qualifiedResource(rt.resource, rt.group);
      throw new StatusError(403, "Forbidden", `${what} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
        name,
        group: rt.group,
        kind: rt.resource,
        causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }],
      });
    }
  }

  private generateName(rt: ResourceType, namespace: string, prefix: string): string {
    const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
    for (let attempt = 0; attempt < 8; attempt++) {
      let suffix = "";
      for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(this.random() * GENERATE_ALPHABET.length)];
      const name = base + suffix;
      if (!this.log.latest(storageKey(rt.storage, namespace, name))) return name;
    }
    throw errors.alreadyExists(rt.resource, rt.group, `${base}*`);
  }

  private present(_rt: ResourceType, row: LogRow): string {
    return withResourceVersion(row.value, row.id);
  }

  private parse(_rt: ResourceType, row: LogRow): Obj {
    const obj = JSON.parse(row.value);
    obj.metadata = { ...obj.metadata, resourceVersion: String(row.id) };
    return obj;
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
