import type { Sql } from "../store/sql";

/**
 * The persisted work queue: one row per (controller, key), so duplicate enqueues collapse as in
 * client-go's workqueue. `not_before` is when the key is due; `attempts` drives the backoff.
 */
export class WorkQueue {
  constructor(private readonly sql: Sql) {
    sql.run(`CREATE TABLE IF NOT EXISTS queue (controller TEXT NOT NULL, key TEXT NOT NULL, not_before INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (controller, key))`);
    sql.run(`CREATE INDEX IF NOT EXISTS queue_due ON queue(not_before)`);
  }

  /** Adds a key, or brings an existing one forward if the new time is earlier. */
  add(controller: string, key: string, notBefore: number): void {
    this.sql.run(
      `INSERT INTO queue (controller, key, not_before, attempts) VALUES (?, ?, ?, 0)
       ON CONFLICT(controller, key) DO UPDATE SET not_before = MIN(not_before, excluded.not_before)`,
      controller,
      key,
      notBefore,
    );
  }

  due(now: number, limit: number): { controller: string; key: string; attempts: number }[] {
    return this.sql.all(`SELECT controller, key, attempts FROM queue WHERE not_before <= ? ORDER BY not_before LIMIT ?`, now, limit);
  }

  forget(controller: string, key: string): void {
    this.sql.run(`DELETE FROM queue WHERE controller = ? AND key = ?`, controller, key);
  }

  /** Schedules a key again; `attempts` counts failures for the backoff (reset by a plain requeue). */
  requeue(controller: string, key: string, notBefore: number, attempts: number): void {
    this.sql.run(`UPDATE queue SET not_before = ?, attempts = ? WHERE controller = ? AND key = ?`, notBefore, attempts, controller, key);
  }

  nextDue(): number | undefined {
    return this.sql.one<{ t: number | null }>(`SELECT MIN(not_before) AS t FROM queue`)?.t ?? undefined;
  }

  get length(): number {
    return this.sql.one<{ n: number }>(`SELECT COUNT(*) AS n FROM queue`)?.n ?? 0;
  }
}
