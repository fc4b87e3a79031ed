import type { ClientRequest } from "node:http";
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";
import { cpuSince, cpuSnapshot } from "./cpu";
import { HttpClient, type HttpClientOptions } from "./http-client";
import { percentile, round, sleep } from "./stats";

/** What to watch and how to write: the server-specific half of the watch benchmark. */
export interface WatchTarget {
  /** The watch request's path (resolved just before the streams open, e.g. from a list's resourceVersion). */
  watchPath(client: HttpClient): Promise<string>;
  /** The i-th write: a POST whose body carries `"sentAt":"<ms>"` and answers 201. */
  write(i: number, sentAt: string): { path: string; body: string };
}

export interface WatchBenchOptions extends HttpClientOptions {
  target: WatchTarget;
  watchers: number;
  writes: number;
  /** Writes start this far apart, whether or not the previous one has answered. */
  intervalMs: number;
  /** Connections the writes are spread over. */
  writerConnections: number;
}

/** Delivery latency: from just before a create is sent to its event arriving at a watcher. */
export interface WatchResult {
  watchers: number;
  writes: number;
  expected: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  /** Time to open every watch stream. */
  openMs: number;
  /** The creates' own round trips while 100 watchers listened. */
  writeP50: number;
  writeP99: number;
  writeFailures: number;
  streamErrors: number;
  /** Cores busy while writing and delivering: the load generator and workerd. */
  nodeCores: number;
  workerdCores: number;
}

const SENT_AT = /"sentAt":"([\d.]+)"/g;

interface Stream {
  req: ClientRequest;
  agent: Agent;
  events: number;
}

function openStream(opts: WatchBenchOptions, path: string, latencies: number[], onError: () => void): Promise<Stream> {
  const url = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: false, maxSockets: 1, ca: opts.ca });
  return new Promise((resolve, reject) => {
    const stream: Stream = { req: undefined as unknown as ClientRequest, agent, events: 0 };
    const headers = { accept: "application/json", authorization: `Bearer ${opts.token}` };
    stream.req = request({ host: url.hostname, port: Number(url.port), method: "GET", path, agent, headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch: HTTP ${res.statusCode}`));
      res.setEncoding("utf8");
      let tail = "";
      res.on("data", (chunk: string) => {
        const now = performance.now();
        const text = tail + chunk;
        const cut = text.lastIndexOf("\n") + 1;
        tail = text.slice(cut);
        for (const m of text.slice(0, cut).matchAll(SENT_AT)) {
          latencies.push(now - Number(m[1]));
          stream.events++;
        }
      });
      res.on("error", onError);
      resolve(stream);
    });
    stream.req.on("error", (e: Error) => {
      onError();
      reject(e);
    });
    stream.req.end();
  });
}

/**
 * Opens `watchers` watch streams, then makes `writes` writes at a steady pace, each carrying its
 * send time, and measures every (watcher, event) arrival.
 */
export async function runWatchBench(opts: WatchBenchOptions): Promise<WatchResult> {
  const writers = Array.from({ length: opts.writerConnections }, () => new HttpClient(opts));
  const streams: Stream[] = [];
  let streamErrors = 0;
  try {
    const watchPath = await opts.target.watchPath(writers[0]);
    const latencies: number[] = [];
    const t0 = performance.now();
    const opened = await Promise.allSettled(
      Array.from({ length: opts.watchers }, () => openStream(opts, watchPath, latencies, () => streamErrors++)),
    );
    for (const o of opened) if (o.status === "fulfilled") streams.push(o.value);
    if (streams.length < opts.watchers) throw new Error(`only ${streams.length} of ${opts.watchers} watches opened`);
    const openMs = performance.now() - t0;
    // Each writer's first request pays its TLS handshake outside the measured writes.
    await Promise.all(writers.map((w) => w.send("GET", "/healthz").catch(() => undefined)));

    const writeTimes: number[] = [];
    let writeFailures = 0;
    const pending: Promise<void>[] = [];
    const cpu = cpuSnapshot();
    const start = performance.now();
    for (let i = 0; i < opts.writes; i++) {
      await sleep(start + i * opts.intervalMs - performance.now());
      const sentAt = performance.now();
      const { path, body } = opts.target.write(i, sentAt.toFixed(3));
      pending.push(
        writers[i % writers.length].send("POST", path, body).then(
          (res) => (res.status === 201 ? void writeTimes.push(performance.now() - sentAt) : void writeFailures++),
          () => void writeFailures++,
        ),
      );
    }
    await Promise.all(pending);
    const expected = opts.writes * opts.watchers;
    for (const until = performance.now() + 10_000; latencies.length < expected && performance.now() < until; ) await sleep(20);
    const used = cpuSince(cpu);
    return {
      watchers: streams.length,
      writes: opts.writes,
      expected,
      received: latencies.length,
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      max: round(percentile(latencies, 1)),
      openMs: round(openMs),
      writeP50: round(percentile(writeTimes, 0.5)),
      writeP99: round(percentile(writeTimes, 0.99)),
      writeFailures,
      streamErrors,
      nodeCores: round(used.node),
      workerdCores: round(used.workerd),
    };
  } finally {
    for (const s of streams) {
      s.req.destroy();
      s.agent.destroy();
    }
    for (const w of writers) w.close();
  }
}
