/**
 * The `service_alloc` table: which Service holds each cluster IP and node port. Its primary key
 * (kind, value) makes a double allocation a constraint error rather than a silent overlap.
 */
import type { Interval } from "./service-alloc-range";
import type { Sql } from "./sql";

/** What a row holds: a cluster IP (as a number) or a node port. */
export type AllocKind = "ip" | "nodeport";

export interface Allocation {
  readonly kind: AllocKind;
  readonly value: number;
}

/** Random probes into the preferred band before falling back to a scan. */
const RANDOM_PROBES = 8;

export class AllocationTable {
  /** The table comes from the store's migrations (src/store/schema.ts). */
  constructor(
    private readonly sql: Sql,
    private readonly random: () => number,
  ) {}

  /** The Service ("namespace/name") holding a value, if any. */
  holder(kind: AllocKind, value: number): string | undefined {
    return this.sql.one<{ owner: string }>(`SELECT owner FROM service_alloc WHERE kind = ? AND value = ?`, kind, value)?.owner;
  }

  /**
   * Makes `owner` hold exactly `rows` (none: everything it held is released). Call inside a
   * transaction. Values were checked free before the write; one that is held anyway can only
   * come from Services stored before allocation existed, and stays with its first holder.
   */
  replace(owner: string, rows: readonly Allocation[]): void {
    this.sql.run(`DELETE FROM service_alloc WHERE owner = ?`, owner);
    this.add(owner, rows);
  }

  /** Records values for `owner`, leaving values someone already holds alone. */
  add(owner: string, rows: readonly Allocation[]): void {
    for (const r of rows) this.sql.run(`INSERT OR IGNORE INTO service_alloc (kind, value, owner) VALUES (?, ?, ?)`, r.kind, r.value, owner);
  }

  count(kind: AllocKind): number {
    return this.sql.one<{ n: number }>(`SELECT COUNT(*) AS n FROM service_alloc WHERE kind = ?`, kind)?.n ?? 0;
  }

  /**
   * A free value of `range`, preferring the part above its static band (see `staticBand`):
   * a few random probes, then a scan from a random point. `skip` holds values this very request
   * took already. Undefined when the range is full.
   */
  pick(kind: AllocKind, range: Interval, band: number, skip: ReadonlySet<number>): number | undefined {
    const upper: Interval = { min: range.min + band, max: range.max };
    const lower: Interval = { min: range.min, max: range.min + band - 1 };
    for (const part of [upper, lower]) {
      if (part.max < part.min) continue;
      const found = this.probe(kind, part, skip) ?? this.scan(kind, part, skip);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private isFree(kind: AllocKind, value: number, skip: ReadonlySet<number>): boolean {
    return !skip.has(value) && this.holder(kind, value) === undefined;
  }

  private randomIn(part: Interval): number {
    return part.min + Math.floor(this.random() * (part.max - part.min + 1));
  }

  private probe(kind: AllocKind, part: Interval, skip: ReadonlySet<number>): number | undefined {
    for (let i = 0; i < RANDOM_PROBES; i++) {
      const v = this.randomIn(part);
      if (this.isFree(kind, v, skip)) return v;
    }
    return undefined;
  }

  private scan(kind: AllocKind, part: Interval, skip: ReadonlySet<number>): number | undefined {
    const start = this.randomIn(part);
    return this.firstFree(kind, start, part.max, skip) ?? (start > part.min ? this.firstFree(kind, part.min, start - 1, skip) : undefined);
  }

  /** The lowest free value in [from, to], jumping over runs of held values with one query each. */
  private firstFree(kind: AllocKind, from: number, to: number, skip: ReadonlySet<number>): number | undefined {
    let v = from;
    while (v <= to) {
      if (skip.has(v)) {
        v++;
        continue;
      }
      if (this.holder(kind, v) === undefined) return v;
      // v is held: the first value after the run of held values that starts at v.
      const end = this.sql.one<{ v: number | null }>(
        `SELECT MIN(a.value) AS v FROM service_alloc a
         WHERE a.kind = ? AND a.value >= ? AND a.value <= ?
           AND NOT EXISTS (SELECT 1 FROM service_alloc b WHERE b.kind = a.kind AND b.value = a.value + 1)`,
        kind,
        v,
        to,
      )?.v;
      if (end === null || end === undefined) return undefined;
      v = end + 1;
    }
    return undefined;
  }
}
