import { withResourceVersion, type LogRow } from "./revision-log";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** Decides whether an object (parsed lazily) is visible to a watcher. */
export type ObjectFilter = (obj: Record<string, any>) => boolean;

export interface WatchOptions {
  storage: string;
  namespace?: string;
  /** Only objects with this name (the common `fieldSelector=metadata.name=x` case, checked without parsing). */
  name?: string;
  filter?: ObjectFilter;
  bookmarks: boolean;
  /** Kind and apiVersion for bookmark objects. */
  kind: string;
  apiVersion: string;
}

/** An event that left the log: its row and, for updates, the row it replaced (for selector transitions). */
export interface ChangeEvent {
  row: LogRow;
  prevValue?: string;
}

const encoder = new TextEncoder();
/** A watcher that falls this far behind is closed rather than buffered without bound. */
const MAX_QUEUED_CHUNKS = 10_000;

function line(type: WatchEventType, objectJson: string): Uint8Array {
  return encoder.encode(`{"type":"${type}","object":${objectJson}}\n`);
}

function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function namespaceOfKey(key: string, storage: string): string {
  const rest = key.slice(storage.length + 1);
  return rest.slice(0, rest.indexOf("/"));
}

export class Watcher {
  closed = false;
  private timers: ReturnType<typeof setTimeout>[] = [];
  lastRev = 0;

  constructor(
    readonly opts: WatchOptions,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly onClose: (w: Watcher) => void,
  ) {
    writer.closed.catch(() => this.close());
  }

  /** Whether a row of the log belongs to this watcher's prefix (before any selector). */
  covers(row: LogRow): boolean {
    if (row.storage !== this.opts.storage) return false;
    if (this.opts.namespace !== undefined && namespaceOfKey(row.key, row.storage) !== this.opts.namespace) return false;
    if (this.opts.name !== undefined && nameOfKey(row.key) !== this.opts.name) return false;
    return true;
  }

  /** Sends one change, translated through the selector into ADDED/MODIFIED/DELETED as upstream does. */
  deliver(ev: ChangeEvent, encoded?: Uint8Array): void {
    const { row } = ev;
    if (this.closed || row.id <= this.lastRev || !this.covers(row)) return;
    this.lastRev = row.id;
    const type: WatchEventType = row.deleted ? "DELETED" : row.created ? "ADDED" : "MODIFIED";
    const filter = this.opts.filter;
    if (!filter) {
      this.write(encoded ?? line(type, withResourceVersion(row.value, row.id)));
      return;
    }
    const nowMatches = filter(JSON.parse(row.value));
    if (type !== "MODIFIED") {
      if (nowMatches) this.write(line(type, withResourceVersion(row.value, row.id)));
      return;
    }
    const wasMatching = ev.prevValue !== undefined && filter(JSON.parse(ev.prevValue));
    if (nowMatches) this.write(line(wasMatching ? "MODIFIED" : "ADDED", withResourceVersion(row.value, row.id)));
    else if (wasMatching) this.write(line("DELETED", withResourceVersion(row.value, row.id)));
  }

  /** Sends the current state of an object as a synthetic ADDED. */
  sendAdded(objectJson: string): void {
    this.write(line("ADDED", objectJson));
  }

  sendBookmark(rev: number, initialEventsEnd = false): void {
    const annotations = initialEventsEnd ? `,"annotations":{"k8s.io/initial-events-end":"true"}` : "";
    this.write(
      line("BOOKMARK", `{"kind":"${this.opts.kind}","apiVersion":"${this.opts.apiVersion}","metadata":{"resourceVersion":"${rev}"${annotations}}}`),
    );
  }

  sendError(statusJson: string): void {
    this.write(line("ERROR", statusJson));
  }

  after(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }

  every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.writer.close().catch(() => {});
    this.onClose(this);
  }

  private write(bytes: Uint8Array): void {
    if (this.closed) return;
    if ((this.writer.desiredSize ?? 0) < -MAX_QUEUED_CHUNKS) {
      this.close();
      return;
    }
    this.writer.write(bytes).catch(() => this.close());
  }
}

/**
 * Fans appended log rows out to open watches. `publish` runs synchronously right after a write
 * commits, which stands in for kine's poll loop: a Durable Object has a single writer.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  open(opts: WatchOptions): { watcher: Watcher; stream: ReadableStream<Uint8Array> } {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const watcher = new Watcher(opts, writable.getWriter(), (w) => this.watchers.delete(w));
    this.watchers.add(watcher);
    return { watcher, stream: readable };
  }

  publish(events: ChangeEvent[]): void {
    if (this.watchers.size === 0) return;
    for (const ev of events) {
      let plain: Uint8Array | undefined;
      for (const w of this.watchers) {
        if (!w.covers(ev.row)) continue;
        if (!w.opts.filter && !plain) {
          const type = ev.row.deleted ? "DELETED" : ev.row.created ? "ADDED" : "MODIFIED";
          plain = line(type, withResourceVersion(ev.row.value, ev.row.id));
        }
        w.deliver(ev, w.opts.filter ? undefined : plain);
      }
    }
  }

  closeAll(): void {
    for (const w of [...this.watchers]) w.close();
  }
}
