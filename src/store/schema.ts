import type { Sql } from "./sql";

/**
 * The store's tables, kine-style: `kv` is the append-only revision log whose id is the global
 * revision (= resourceVersion); `current` points each live key at its latest row so reads and
 * lists need no GROUP BY; `meta` holds the schema version and the compact revision.
 */
const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS kv (
       id INTEGER PRIMARY KEY,
       key TEXT NOT NULL,
       storage TEXT NOT NULL,
       created INTEGER NOT NULL,
       deleted INTEGER NOT NULL,
       create_revision INTEGER NOT NULL,
       prev_revision INTEGER NOT NULL,
       ts INTEGER NOT NULL,
       value TEXT NOT NULL)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev ON kv(key, prev_revision)`,
    `CREATE INDEX IF NOT EXISTS kv_storage_id ON kv(storage, id)`,
    `CREATE INDEX IF NOT EXISTS kv_ts ON kv(ts)`,
    `CREATE TABLE IF NOT EXISTS current (
       key TEXT PRIMARY KEY,
       storage TEXT NOT NULL,
       namespace TEXT NOT NULL,
       rev INTEGER NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS current_storage_key ON current(storage, key)`,
    `CREATE INDEX IF NOT EXISTS current_storage_ns_key ON current(storage, namespace, key)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS current_rev ON current(rev)`,
    // The controllers' persisted work queue (src/controllers/queue.ts).
    `CREATE TABLE IF NOT EXISTS queue (
       controller TEXT NOT NULL,
       key TEXT NOT NULL,
       not_before INTEGER NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       gen INTEGER NOT NULL DEFAULT 0,
       PRIMARY KEY (controller, key))`,
    `CREATE INDEX IF NOT EXISTS queue_due ON queue(not_before)`,
  ],
  [
    // Which Service holds each cluster IP and node port (src/store/service-alloc-table.ts).
    `CREATE TABLE IF NOT EXISTS service_alloc (
       kind TEXT NOT NULL,
       value INTEGER NOT NULL,
       owner TEXT NOT NULL,
       PRIMARY KEY (kind, value))`,
    `CREATE INDEX IF NOT EXISTS service_alloc_owner ON service_alloc(owner)`,
  ],
];

/** Applies the additive, idempotent migrations not yet recorded. */
export function migrate(sql: Sql): void {
  sql.run(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
  const row = sql.one<{ v: string }>(`SELECT v FROM meta WHERE k = 'schema_version'`);
  let version = row ? Number(row.v) : 0;
  while (version < MIGRATIONS.length) {
    const steps = MIGRATIONS[version];
    sql.transaction(() => {
      for (const s of steps) sql.run(s);
      sql.run(`INSERT OR REPLACE INTO meta (k, v) VALUES ('schema_version', ?)`, String(version + 1));
    });
    version++;
  }
}

export function readMeta(sql: Sql, k: string): string | undefined {
  return sql.one<{ v: string }>(`SELECT v FROM meta WHERE k = ?`, k)?.v;
}

export function writeMeta(sql: Sql, k: string, v: string): void {
  sql.run(`INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)`, k, v);
}
