/**
 * The agent's end of one relay connection: answers the control plane's `open`s by running the
 * matching handler, sends its output as data frames within the window the control plane grants,
 * and aborts the handler on `cancel` or when the connection drops. Frames it does not understand
 * are dropped; a failing handler becomes an `error` frame, never an exception.
 */
import { CHANNEL, chunks, decodeControl, decodeData, encodeControl, encodeData, type OpenMessage } from "../../src/relay/protocol";
import type { RelayHandlers, StreamOutput } from "./relay-handlers";
import { RelayRequestError } from "./relay-request-error";

export interface StreamServerOptions {
  /** Sends one frame; throws when the socket is gone. */
  send(frame: string | Uint8Array): void;
  handlers: RelayHandlers;
  /**
   * A handler that neither wrote nor failed by then is taken to be waiting for data (`logs -f`
   * of a quiet container), so the request is accepted for it (default 1 s).
   */
  acceptAfterMs?: number;
  log?(line: string): void;
}

const encoder = new TextEncoder();

class ServedStream {
  readonly abort = new AbortController();
  accepted = false;
  private available: number;
  private wake: (() => void) | undefined;

  constructor(
    readonly id: number,
    window: number,
    private readonly send: (frame: string | Uint8Array) => void,
  ) {
    this.available = window;
    this.abort.signal.addEventListener("abort", () => this.wake?.());
  }

  accept(): void {
    if (this.accepted || this.abort.signal.aborted) return;
    this.accepted = true;
    this.send(encodeControl({ t: "accept", id: this.id }));
  }

  grant(bytes: number): void {
    this.available += bytes;
    this.wake?.();
  }

  /** Sends `chunk` in frames, waiting for credit whenever the window is used up. */
  async write(chunk: string | Uint8Array): Promise<void> {
    this.throwIfAborted();
    this.accept();
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    for (let piece of chunks(bytes)) {
      while (piece.byteLength > 0) {
        while (this.available <= 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          this.throwIfAborted();
        }
        const n = Math.min(piece.byteLength, this.available);
        this.send(encodeData(this.id, CHANNEL.stdout, piece.subarray(0, n)));
        this.available -= n;
        piece = piece.subarray(n);
      }
    }
  }

  private throwIfAborted(): void {
    if (this.abort.signal.aborted) throw this.abort.signal.reason instanceof Error ? this.abort.signal.reason : new Error("the stream was cancelled");
  }
}

/**
 * @example
 * const server = new StreamServer({ send: (f) => ws.send(f), handlers });
 * ws.on("message", (data, binary) => server.receive(binary ? new Uint8Array(data) : data.toString()));
 * ws.on("close", () => server.closeAll("connection lost"));
 */
export class StreamServer {
  private readonly streams = new Map<number, ServedStream>();
  private readonly acceptAfterMs: number;

  constructor(private readonly opts: StreamServerOptions) {
    this.acceptAfterMs = opts.acceptAfterMs ?? 1000;
  }

  /** Streams being served. */
  get size(): number {
    return this.streams.size;
  }

  receive(frame: string | Uint8Array): void {
    if (typeof frame !== "string") {
      const data = decodeData(frame);
      // Nothing served so far reads input; data for a stream that is gone gets it cancelled.
      if (data && !this.streams.has(data.id)) this.trySend(encodeControl({ t: "cancel", id: data.id, reason: "unknown stream" }));
      return;
    }
    const msg = decodeControl(frame);
    if (!msg) {
      this.opts.log?.("dropped a malformed relay message");
      return;
    }
    if (msg.t === "open") this.open(msg);
    else if (msg.t === "credit") this.streams.get(msg.id)?.grant(msg.bytes);
    else if (msg.t === "cancel") this.cancel(msg.id, new Error(`cancelled by the control plane${msg.reason ? `: ${msg.reason}` : ""}`));
  }

  /** The connection is gone: every handler is aborted. */
  closeAll(reason: string): void {
    for (const id of [...this.streams.keys()]) this.cancel(id, new Error(reason));
  }

  private cancel(id: number, reason: Error): void {
    const s = this.streams.get(id);
    if (!s) return;
    this.streams.delete(id);
    s.abort.abort(reason);
  }

  private open(msg: OpenMessage): void {
    if (this.streams.has(msg.id)) {
      this.trySend(encodeControl({ t: "error", id: msg.id, code: 409, message: `stream ${msg.id} is already open` }));
      return;
    }
    const s = new ServedStream(msg.id, msg.window, (f) => this.opts.send(f));
    this.streams.set(msg.id, s);
    const timer = setTimeout(() => this.guard(() => s.accept()), this.acceptAfterMs);
    const out: StreamOutput = { write: (chunk) => s.write(chunk) };
    Promise.resolve()
      .then(() => this.opts.handlers[msg.kind](msg.request, out, s.abort.signal))
      .then(
        () => {
          if (s.abort.signal.aborted) return;
          s.accept();
          this.trySend(encodeControl({ t: "end", id: s.id }));
        },
        (e: unknown) => {
          if (s.abort.signal.aborted) return;
          const code = e instanceof RelayRequestError ? e.code : 500;
          const message = e instanceof Error ? e.message : String(e);
          if (!(e instanceof RelayRequestError)) this.opts.log?.(`${msg.kind} request for ${msg.request.namespace}/${msg.request.pod} failed: ${message}`);
          this.trySend(encodeControl({ t: "error", id: s.id, code, message }));
        },
      )
      .catch((e: unknown) => this.opts.log?.(`relay stream ${s.id}: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        clearTimeout(timer);
        if (this.streams.get(s.id) === s) this.streams.delete(s.id);
      });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.opts.log?.(`relay send failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private trySend(frame: string): void {
    this.guard(() => this.opts.send(frame));
  }
}
