import type { Sql } from "../store/sql";

export interface QueueItem {
  controller: string;
  key: string;
  attempts: number;
  /** Bumped by every add: tells whether the key was enqueued again while it was processed. */
  gen: number;
}

/**
 * The persisted work queue: one row per (controller, key), so duplicate enqueues collapse as in
 * client-go's workqueue. `not_before` is when the key is due; `attempts` drives the backoff.
 */
export class WorkQueue {
  /** The table comes from the store's migrations (src/store/schema.ts). */
  constructor(private readonly sql: Sql) {}

  /** Adds a key, or brings an existing one forward if the new time is earlier. */
  add(controller: string, key: string, notBefore: number): void {
    this.sql.run(
      `INSERT INTO queue (controller, key, not_before, attempts, gen) VALUES (?, ?, ?, 0, 0)
       ON CONFLICT(controller, key) DO UPDATE SET not_before = MIN(not_before, excluded.not_before), gen = gen + 1`,
      controller,
      key,
      notBefore,
    );
  }

  due(now: number, limit: number): QueueItem[] {
    return this.sql.all(`SELECT controller, key, attempts, gen FROM queue WHERE not_before <= ? ORDER BY not_before LIMIT ?`, now, limit);
  }

  /**
   * Drops a processed key — unless it was added again while it was being processed (a
   * "dirty" key in client-go's terms), in which case it stays due.
   */
  forget(item: QueueItem): void {
    this.sql.run(`DELETE FROM queue WHERE controller = ? AND key = ? AND gen = ?`, item.controller, item.key, item.gen);
  }

  /** Schedules a processed key again; a key added again meanwhile keeps its earlier time. */
  requeue(item: QueueItem, notBefore: number, attempts: number): void {
    this.sql.run(
      `UPDATE queue SET not_before = CASE WHEN gen = ? THEN ? ELSE MIN(not_before, ?) END, attempts = ? WHERE controller = ? AND key = ?`,
      item.gen,
      notBefore,
      notBefore,
      attempts,
      item.controller,
      item.key,
    );
  }

  nextDue(): number | undefined {
    return this.sql.one<{ t: number | null }>(`SELECT MIN(not_before) AS t FROM queue`)?.t ?? undefined;
  }

  get length(): number {
    return this.sql.one<{ n: number }>(`SELECT COUNT(*) AS n FROM queue`)?.n ?? 0;
  }
}
