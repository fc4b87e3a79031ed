/**
 * `npm run bench:api`: the API server as `npm start` runs it (Miniflare, HTTPS, state on disk),
 * measured beside a bare Worker + SQLite Durable Object (the raw ceiling) with the same load
 * generator. Prints figures only: a table, the goals beside their figures, and one JSON line.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster } from "../cli/local-cluster";
import { ensurePki } from "../cli/pki";
import { ConfigMapSet, configMap, configMapWatchTarget, ensureNamespace } from "./config-maps";
import { HttpClient, type HttpClientOptions } from "./http-client";
import { runCell, type CellOptions, type CellResult, type Operation } from "./load";
import { RawOps, startRawCeiling } from "./raw-ceiling/start";
import { fmt, matrixTable, table, type Row } from "./report";
import { round } from "./stats";
import { runWatchBench, type WatchResult } from "./watch-latency";

const HOST = "127.0.0.1";
const CONCURRENCY = [1, 16, 64] as const;
const CELL_MS = 3_000;
const WARMUP_PER_WORKER = 2;
/** Request caps per cell; each cell also stops after CELL_MS. */
const MAX_REQUESTS = { create: 2_000, get: 4_000, list: 600, update: 2_000 } as const;
/** Updates cycle through this many objects, far more than the workers, so conflicts are rare. */
const UPDATE_POOL = 1_000;
const WATCH = { watchers: 100, writes: 200, intervalMs: 20, writerConnections: 4 } as const;

type Cells = Record<string, Record<number, CellResult>>;

function watchCells(w: WatchResult): number[] {
  return [w.watchers, w.received, w.expected, w.p50, w.p99, w.max, w.openMs, w.writeP50, w.writeP99, w.writeFailures, w.streamErrors, w.nodeCores, w.workerdCores];
}

function cellOptions(concurrency: number, maxRequests: number): CellOptions {
  return { concurrency, maxRequests, maxMs: CELL_MS, warmupPerWorker: WARMUP_PER_WORKER };
}

/** One operation of one server, run at every concurrency. */
interface Series {
  server: string;
  op: string;
  client: HttpClientOptions;
  fn: Operation;
  max: number;
}

/**
 * Runs series side by side: at each concurrency, one cell of each series in turn, so that the
 * servers compared are measured seconds apart and share the machine's passing load.
 */
async function interleaved(series: Series[], rows: Row[], results: Record<string, Cells>): Promise<void> {
  for (const c of CONCURRENCY) {
    for (const s of series) {
      const cell = await runCell(() => new HttpClient(s.client), s.fn, cellOptions(c, s.max));
      ((results[s.server] ??= {})[s.op] ??= {})[c] = cell;
      rows.push({ server: s.server, op: s.op, cell });
      process.stderr.write(`  ${s.server} ${s.op} c=${c}: ${fmt(cell.perSecond)}/s p99 ${fmt(cell.p99)} ms${cell.firstFailure ? ` (first failure: ${cell.firstFailure})` : ""}\n`);
    }
  }
}

/** Unmeasured traffic so the isolate, JIT and object are warm before the first cell. */
async function warmUp(client: HttpClientOptions, ops: Operation[]): Promise<void> {
  for (const op of ops) await runCell(() => new HttpClient(client), op, { concurrency: 4, maxRequests: 200, maxMs: 1_000, warmupPerWorker: 1 });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flotilla-bench-"));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (stops.length) await stops.pop()!().catch((e) => process.stderr.write(`stop: ${e}\n`));
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const loadBefore = loadavg()[0];
  try {
    const clusterDir = join(dir, "cluster");
    const cluster = await startLocalCluster({ dir: clusterDir, host: HOST, port: 0, ephemeral: false });
    stops.push(cluster.stop);
    const pki = ensurePki(clusterDir);
    const raw = await startRawCeiling({ dir: join(dir, "raw"), host: HOST, httpsKeyPath: pki.keyPath, httpsCertPath: pki.certPath });
    stops.push(raw.stop);
    const ca = readFileSync(cluster.caCertPath, "utf8");
    const flotilla: HttpClientOptions = { baseUrl: cluster.url, ca, token: cluster.adminToken };
    const ceiling: HttpClientOptions = { baseUrl: raw.url, ca };
    const admin = new HttpClient(flotilla);
    try {
      await ensureNamespace(admin, "bench");
      await ensureNamespace(admin, "bench-warmup");
      await ensureNamespace(admin, "bench-watch");
    } finally {
      admin.close();
    }
    const configMapBytes = JSON.stringify(configMap("bench", "cm-000001")).length;
    process.stderr.write(`Flotilla at ${cluster.url}, raw ceiling at ${raw.url}; ${cpus().length} CPUs, Node ${process.version}\n`);

    const rows: Row[] = [];
    const results: Record<string, Cells> = {};
    const warm = new ConfigMapSet("bench-warmup");
    const rawOps = new RawOps();
    await warmUp(flotilla, [warm.create, warm.get]);
    await warmUp(ceiling, [rawOps.insert, rawOps.read]);
    const set = new ConfigMapSet("bench");
    const pair = (op: string, flo: Operation, raw: Operation, max: number): Series[] => [
      { server: "flotilla", op, client: flotilla, fn: flo, max },
      { server: "raw", op, client: ceiling, fn: raw, max },
    ];
    await interleaved(pair("create", set.create, rawOps.insert, MAX_REQUESTS.create), rows, results);
    await interleaved(pair("get", set.get, rawOps.read, MAX_REQUESTS.get), rows, results);
    const listedObjects = set.names.length;
    await interleaved([{ server: "flotilla", op: "list", client: flotilla, fn: set.list, max: MAX_REQUESTS.list }], rows, results);
    await interleaved([{ server: "flotilla", op: "update", client: flotilla, fn: set.update(UPDATE_POOL), max: MAX_REQUESTS.update }], rows, results);
    const flo = results.flotilla;
    const ceil = results.raw;
    const watch = await runWatchBench({ ...flotilla, target: configMapWatchTarget("bench-watch"), ...WATCH });
    process.stderr.write(`  flotilla watch: p50 ${watch.p50} ms p99 ${watch.p99} ms (${watch.received}/${watch.expected} events)\n`);
    const rawWatch = await runWatchBench({ ...ceiling, target: rawOps.watchTarget, ...WATCH });
    process.stderr.write(`  raw watch: p50 ${rawWatch.p50} ms p99 ${rawWatch.p99} ms (${rawWatch.received}/${rawWatch.expected} events)\n`);

    const share = (op: string) => round((100 * flo[op][16].perSecond) / ceil[op][16].perSecond);
    const summary = {
      createShareOfCeilingC16: share("create"),
      getShareOfCeilingC16: share("get"),
      getP99C1: flo.get[1].p99,
      createP99C1: flo.create[1].p99,
      watchP99: watch.p99,
    };

    const out = process.stdout;
    out.write(`\nFlotilla API server (as npm start runs it: Miniflare, HTTPS, SQLite on disk) and the raw ceiling, ${cpus().length} CPUs, Node ${process.version}\n`);
    out.write(`ConfigMaps of ${fmt(configMapBytes)} bytes; raw values of 1,500 bytes. Each cell: ${fmt(CELL_MS / 1000)} s or its request cap, after ${WARMUP_PER_WORKER} unmeasured requests per worker; Flotilla and raw cells alternate.\n`);
    out.write(`list = GET ?limit=100 of a namespace holding ${fmt(listedObjects)} ConfigMaps; update = PUT of the whole object with the last seen resourceVersion (409s counted apart).\n`);
    out.write(`raw create = one INSERT ... RETURNING per POST; raw get = one point SELECT per GET; raw watch = every insert as one line. Latencies of 2xx answers only.\n\n`);
    out.write(`cpu node / cpu wd = CPU ms per request of the load generator / of workerd; cores = both together. Load average before the run ${fmt(loadBefore)}, after ${fmt(loadavg()[0])} (other tenants of the machine skew every figure).\n\n`);
    const order = (r: Row) => `${r.server === "flotilla" ? 0 : 1}${["create", "get", "list", "update"].indexOf(r.op)}`;
    out.write(matrixTable([...rows].sort((a, b) => order(a).localeCompare(order(b)))) + "\n\n");
    out.write(`watch: ${WATCH.watchers} streams on one collection, ${WATCH.writes} creates started ${WATCH.intervalMs} ms apart; delivery = send of the create to arrival at a watcher\n`);
    out.write(
      table(
        ["server", "watchers", "events", "of", "p50 ms", "p99 ms", "max ms", "open ms", "create p50", "create p99", "failed", "stream err", "cores node", "cores wd"],
        [
          ["flotilla", watch],
          ["raw", rawWatch],
        ].map(([name, w]) => [name as string, ...watchCells(w as WatchResult)]),
        1,
      ) + "\n\n",
    );
    out.write(`creates at c=16: ${fmt(summary.createShareOfCeilingC16)}% of the ceiling (goal >= 60%)\n`);
    out.write(`gets at c=16:    ${fmt(summary.getShareOfCeilingC16)}% of the ceiling (goal >= 60%)\n`);
    out.write(`get p99 at c=1:    ${fmt(summary.getP99C1)} ms (goal <= 10 ms)\n`);
    out.write(`create p99 at c=1: ${fmt(summary.createP99C1)} ms (goal <= 10 ms)\n`);
    out.write(`watch p99:         ${fmt(summary.watchP99)} ms (goal <= 50 ms)\n`);
    out.write(JSON.stringify({ bench: "api", cpus: cpus().length, loadavg: [round(loadBefore), round(loadavg()[0])], configMapBytes, listedObjects, updateMethod: "PUT", flotilla: flo, raw: ceil, watch, rawWatch, summary }) + "\n");
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().catch((e) => {
  process.stderr.write(`bench:api: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
