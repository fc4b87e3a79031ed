import type { CellResult } from "./load";
import { round } from "./stats";

/** A row of the matrix: which server, which operation, and what the cell measured. */
export interface Row {
  server: string;
  op: string;
  cell: CellResult;
}

const COLUMNS = ["server", "op", "conc", "requests", "secs", "req/s", "p50 ms", "p99 ms", "max ms", "409", "non-2xx", "dropped", "reconn", "cpu node", "cpu wd", "cores"];

/** Lays rows out as an aligned text table: the first `left` columns left-aligned, the rest right-aligned. */
export function table(header: string[], rows: (string | number)[][], left = 2): string {
  const cells = [header, ...rows.map((r) => r.map((v) => (typeof v === "number" ? fmt(v) : v)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) => r.map((v, i) => (i < left ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  "))
    .join("\n");
}

/** A number as printed: thousands separated, rounded like the JSON figures. */
export function fmt(v: number): string {
  if (Number.isNaN(v)) return "-";
  return round(v).toLocaleString("en-US");
}

/** The load matrix as a table. */
export function matrixTable(rows: Row[]): string {
  return table(
    COLUMNS,
    rows.map(({ server, op, cell: c }) => [server, op, c.concurrency, c.requests, c.seconds, c.perSecond, c.p50, c.p99, c.max, c.conflicts, c.failed, c.dropped, c.reconnects, c.nodeCpuMs, c.workerdCpuMs, c.cores]),
  );
}

