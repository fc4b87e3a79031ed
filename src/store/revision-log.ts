import type { Clock } from "../lib/clock";
import { readMeta, writeMeta } from "./schema";
import type { Sql } from "./sql";

/** One row of the revision log. `value` is the object's JSON without its resourceVersion. */
export interface LogRow {
  id: number;
  key: string;
  storage: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  ts: number;
  value: string;
}

export interface AppendInput {
  key: string;
  storage: string;
  namespace: string;
  created: boolean;
  deleted: boolean;
  createRevision: number;
  prevRevision: number;
  value: string;
  /** Drop the superseded row now instead of keeping it for watch history (Leases). */
  noHistory?: boolean;
}

export interface CompactionPolicy {
  /** At most this many revisions of history are kept. */
  maxRevisions: number;
  /** History older than this is dropped. */
  maxAgeMs: number;
}

/** The storage key of an object: "<storage>/<namespace>/<name>" (namespace empty when cluster-scoped). */
export function storageKey(storage: string, namespace: string, name: string): string {
  return `${storage}/${namespace}/${name}`;
}

/**
 * Puts the revision into a stored object's JSON without re-serializing it. Stored values always
 * begin with apiVersion and kind, so the first `"metadata":{` is the object's own.
 */
export function withResourceVersion(value: string, rev: number): string {
  const at = value.indexOf(`"metadata":{`);
  if (at < 0) return value;
  const pos = at + 12;
  const sep = value[pos] === "}" ? "" : ",";
  return `${value.slice(0, pos)}"resourceVersion":"${rev}"${sep}${value.slice(pos)}`;
}

/**
 * The kine-style append-only log. A Durable Object is its only writer, so revisions are handed
 * out in memory and every append happens inside the caller's transaction.
 */
export class RevisionLog {
  private rev: number;
  private compactRev: number;

  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
  ) {
    const max = sql.one<{ m: number | null }>(`SELECT MAX(id) AS m FROM kv`)?.m ?? 0;
    this.compactRev = Number(readMeta(sql, "compact_revision") ?? "0");
    this.rev = Math.max(max, Number(readMeta(sql, "revision") ?? "0"), this.compactRev);
  }

  /** Runs writes atomically (one SQLite transaction). */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn);
  }

  /** The newest revision of the whole store. */
  get revision(): number {
    return this.rev;
  }

  /** History at or below this revision is gone. */
  get compactRevision(): number {
    return this.compactRev;
  }

  latest(key: string): LogRow | undefined {
    return this.sql.one<LogRow>(`SELECT kv.* FROM current JOIN kv ON kv.id = current.rev WHERE current.key = ?`, key);
  }

  /** Live objects of one storage prefix in key order, after `afterKey`. */
  list(storage: string, namespace: string | undefined, afterKey: string, limit: number): LogRow[] {
    const cap = limit > 0 ? limit : -1;
    if (namespace === undefined) {
      return this.sql.all<LogRow>(
        `SELECT kv.* FROM current JOIN kv ON kv.id = current.rev WHERE current.storage = ? AND current.key > ? ORDER BY current.key LIMIT ?`,
        storage,
        afterKey,
        cap,
      );
    }
    return this.sql.all<LogRow>(
      `SELECT kv.* FROM current JOIN kv ON kv.id = current.rev WHERE current.storage = ? AND current.namespace = ? AND current.key > ? ORDER BY current.key LIMIT ?`,
      storage,
      namespace,
      afterKey,
      cap,
    );
  }

  /** Whether any live object of the prefix sorts after `afterKey`. */
  hasMore(storage: string, namespace: string | undefined, afterKey: string): boolean {
    const row =
      namespace === undefined
        ? this.sql.one(`SELECT 1 AS x FROM current WHERE storage = ? AND key > ? LIMIT 1`, storage, afterKey)
        : this.sql.one(`SELECT 1 AS x FROM current WHERE storage = ? AND namespace = ? AND key > ? LIMIT 1`, storage, namespace, afterKey);
    return row !== undefined;
  }

  /** Keys of live objects in a namespace, across every storage prefix. */
  keysInNamespace(namespace: string): { key: string; storage: string }[] {
    return this.sql.all(`SELECT key, storage FROM current WHERE namespace = ? ORDER BY key`, namespace);
  }

  /** Log rows of one storage prefix after a revision, oldest first. */
  since(storage: string, afterRev: number, limit = 10_000): LogRow[] {
    return this.sql.all<LogRow>(`SELECT * FROM kv WHERE storage = ? AND id > ? ORDER BY id LIMIT ?`, storage, afterRev, limit);
  }

  row(id: number): LogRow | undefined {
    return this.sql.one<LogRow>(`SELECT * FROM kv WHERE id = ?`, id);
  }

  /** Appends a row and moves the key's `current` pointer. Call inside a transaction. */
  append(input: AppendInput): LogRow {
    const id = this.rev + 1;
    const ts = this.clock.now();
    this.sql.run(
      `INSERT INTO kv (id, key, storage, created, deleted, create_revision, prev_revision, ts, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.key,
      input.storage,
      input.created ? 1 : 0,
      input.deleted ? 1 : 0,
      input.createRevision || id,
      input.prevRevision,
      ts,
      input.value,
    );
    if (input.deleted) this.sql.run(`DELETE FROM current WHERE key = ?`, input.key);
    else
      this.sql.run(
        `INSERT INTO current (key, storage, namespace, rev) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET rev = excluded.rev`,
        input.key,
        input.storage,
        input.namespace,
        id,
      );
    if (input.noHistory && input.prevRevision > 0) this.sql.run(`DELETE FROM kv WHERE id = ?`, input.prevRevision);
    this.rev = id;
    return {
      id,
      key: input.key,
      storage: input.storage,
      created: input.created ? 1 : 0,
      deleted: input.deleted ? 1 : 0,
      create_revision: input.createRevision || id,
      prev_revision: input.prevRevision,
      ts,
      value: input.value,
    };
  }

  /**
   * Drops superseded rows and tombstones older than the window. The revision counter is kept
   * in `meta` so that it never goes backwards when the newest rows are tombstones.
   */
  compact(policy: CompactionPolicy): number {
    const byCount = this.rev - policy.maxRevisions;
    const byAge = this.sql.one<{ m: number | null }>(`SELECT MAX(id) AS m FROM kv WHERE ts < ?`, this.clock.now() - policy.maxAgeMs)?.m ?? 0;
    const target = Math.max(byCount, byAge, 0);
    if (target <= this.compactRev) return 0;
    return this.sql.transaction(() => {
      const removed = this.sql.run(`DELETE FROM kv WHERE id <= ? AND id NOT IN (SELECT rev FROM current WHERE rev <= ?)`, target, target);
      this.compactRev = target;
      writeMeta(this.sql, "compact_revision", String(target));
      writeMeta(this.sql, "revision", String(this.rev));
      return removed;
    });
  }
}
