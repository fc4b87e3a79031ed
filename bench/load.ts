import { performance } from "node:perf_hooks";
import { cpuSince, cpuSnapshot } from "./cpu";
import type { HttpClient, HttpResponse } from "./http-client";
import { percentile, round } from "./stats";

/** One request of a cell: `seq` is unique across the cell's warm-up and measured requests. */
export type Operation = (client: HttpClient, seq: number) => Promise<HttpResponse>;

export interface CellOptions {
  /** Concurrent workers, each with its own keep-alive connection. */
  concurrency: number;
  /** The measured phase stops after this many requests ... */
  maxRequests: number;
  /** ... or after this long, whichever comes first. */
  maxMs: number;
  /** Unmeasured requests per worker first (TLS handshakes, JIT, caches). */
  warmupPerWorker: number;
}

/** What a cell measured. Latencies are of 2xx answers, in milliseconds. */
export interface CellResult {
  concurrency: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** 409 answers (lost compare-and-swap). */
  conflicts: number;
  /** Other non-2xx answers. */
  failed: number;
  /** Requests that got no answer (connection reset, refused, timed out). */
  dropped: number;
  /** Connections opened during the measured phase beyond one per worker. */
  reconnects: number;
  /** CPU time per request of the load generator and of workerd, in milliseconds. */
  nodeCpuMs: number;
  workerdCpuMs: number;
  /** Cores busy, load generator plus workerd (the machine's other tenants not included). */
  cores: number;
  /** The first failure, for diagnosis. */
  firstFailure?: string;
}

/**
 * Runs one cell of the load matrix: `concurrency` closed-loop workers, each issuing `op` back to
 * back on its own connection, bounded in both count and time.
 *
 * @example const r = await runCell(() => new HttpClient(o), (c) => c.send("GET", "/healthz"), { concurrency: 16, maxRequests: 2000, maxMs: 3000, warmupPerWorker: 2 });
 */
export async function runCell(makeClient: () => HttpClient, op: Operation, opts: CellOptions): Promise<CellResult> {
  const clients = Array.from({ length: opts.concurrency }, makeClient);
  let seq = 0;
  try {
    await Promise.all(clients.map(async (c) => {
      for (let i = 0; i < opts.warmupPerWorker; i++) await op(c, seq++).catch(() => undefined);
    }));
    const before = clients.reduce((n, c) => n + c.connections, 0);
    const latencies = new Float64Array(opts.maxRequests);
    let ok = 0;
    let issued = 0;
    let conflicts = 0;
    let failed = 0;
    let dropped = 0;
    let firstFailure: string | undefined;
    const cpu = cpuSnapshot();
    const start = performance.now();
    const deadline = start + opts.maxMs;
    const worker = async (c: HttpClient) => {
      while (issued < opts.maxRequests && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        try {
          const res = await op(c, seq++);
          const ms = performance.now() - t0;
          if (res.status >= 200 && res.status < 300) latencies[ok++] = ms;
          else if (res.status === 409) conflicts++;
          else {
            failed++;
            firstFailure ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
          }
        } catch (e) {
          dropped++;
          firstFailure ??= e instanceof Error ? e.message : String(e);
        }
      }
    };
    await Promise.all(clients.map(worker));
    const seconds = (performance.now() - start) / 1000;
    const used = cpuSince(cpu);
    const done = latencies.subarray(0, ok);
    return {
      concurrency: opts.concurrency,
      requests: issued,
      seconds: round(seconds),
      perSecond: round(ok / seconds),
      p50: round(percentile(done, 0.5)),
      p99: round(percentile(done, 0.99)),
      max: round(percentile(done, 1)),
      conflicts,
      failed,
      dropped,
      reconnects: clients.reduce((n, c) => n + c.connections, 0) - before,
      nodeCpuMs: round((1000 * used.node * seconds) / Math.max(1, issued)),
      workerdCpuMs: round((1000 * used.workerd * seconds) / Math.max(1, issued)),
      cores: round(used.node + used.workerd),
      firstFailure,
    };
  } finally {
    for (const c of clients) c.close();
  }
}
