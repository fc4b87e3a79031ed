/**
 * The raw ceiling: a bare Worker in front of one SQLite-backed Durable Object, doing the least a
 * store can do per request — one `INSERT ... RETURNING` per POST and one point `SELECT` per GET.
 * `GET /watch` streams every later insert as one line, the least a watch can do.
 * Flotilla's figures are read as a share of this.
 */
import { DurableObject } from "cloudflare:workers";

export interface RawEnv {
  RAW: DurableObjectNamespace<RawStore>;
}

const encoder = new TextEncoder();

/** One table, one statement per call. */
export class RawStore extends DurableObject<RawEnv> {
  private readonly watchers = new Set<WritableStreamDefaultWriter<Uint8Array>>();

  constructor(ctx: DurableObjectState, env: RawEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS kv (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)`);
  }

  /** Stores a value under a new key and sends it to every watcher; returns its row id. */
  insert(key: string, value: string): number {
    const id = this.ctx.storage.sql.exec<{ id: number }>(`INSERT INTO kv (key, value) VALUES (?, ?) RETURNING id`, key, value).one().id;
    if (this.watchers.size > 0) {
      const line = encoder.encode(`{"type":"ADDED","object":${value}}\n`);
      for (const w of this.watchers) w.write(line).catch(() => this.watchers.delete(w));
    }
    return id;
  }

  /** A stream of the inserts from now on, one JSON line each. */
  watch(): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.watchers.add(writer);
    writer.closed.catch(() => this.watchers.delete(writer));
    return readable;
  }

  /** The value under a key, or null. */
  read(key: string): string | null {
    return this.ctx.storage.sql.exec<{ value: string }>(`SELECT value FROM kv WHERE key = ?`, key).toArray()[0]?.value ?? null;
  }
}

export default {
  async fetch(req: Request, env: RawEnv): Promise<Response> {
    const path = new URL(req.url).pathname;
    const store = env.RAW.get(env.RAW.idFromName("raw"));
    if (path === "/watch") {
      return new Response(await store.watch(), { headers: { "content-type": "application/json", "content-encoding": "identity" } });
    }
    const key = path.slice("/kv/".length);
    if (req.method === "POST") {
      const id = await store.insert(key, await req.text());
      return new Response(`{"id":${id}}`, { status: 201, headers: { "content-type": "application/json" } });
    }
    const value = await store.read(key);
    if (value === null) return new Response("not found", { status: 404 });
    return new Response(value, { headers: { "content-type": "application/json" } });
  },
} satisfies ExportedHandler<RawEnv>;
