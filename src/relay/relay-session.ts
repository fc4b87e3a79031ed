/**
 * The control plane's end of one agent connection: opens streams over the socket, turns the
 * agent's answers into results and its data into readable streams, and grants the agent credit
 * as the readers consume. Knows nothing about WebSockets beyond a `send` function, so it is
 * tested without one.
 */
import { decodeControl, decodeData, DEFAULT_WINDOW_BYTES, encodeControl, type ControlMessage, type StreamKind, type StreamRequests } from "./protocol";

export interface RelaySessionOptions {
  /** Sends one frame to the agent; throws when the socket is gone. */
  send(frame: string | Uint8Array): void;
  /** The first stream id; a random start keeps ids of a forgotten session from being reused soon. */
  firstId?: number;
  /** How many bytes the agent may have in flight per stream (default DEFAULT_WINDOW_BYTES). */
  window?: number;
  /** How long the agent has to accept or refuse a request (default 30 s). */
  acceptTimeoutMs?: number;
}

/** The agent's answer to an open: a stream of its data, or an HTTP status and message. */
export type OpenResult = { ok: true; body: ReadableStream<Uint8Array> } | { ok: false; code: number; message: string };

interface Stream {
  readonly id: number;
  accepted: boolean;
  settle(r: OpenResult): void;
  timer?: ReturnType<typeof setTimeout>;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  readonly body: ReadableStream<Uint8Array>;
  /** Data bytes received and credit granted back, for the sliding window. */
  received: number;
  credited: number;
}

const MAX_STREAM_ID = 0xffffffff;

export class RelaySession {
  private readonly streams = new Map<number, Stream>();
  private nextId: number;
  private readonly window: number;
  private readonly acceptTimeoutMs: number;
  private closedWith: string | undefined;

  constructor(private readonly opts: RelaySessionOptions) {
    this.nextId = (opts.firstId ?? 1) % MAX_STREAM_ID || 1;
    this.window = opts.window ?? DEFAULT_WINDOW_BYTES;
    this.acceptTimeoutMs = opts.acceptTimeoutMs ?? 30_000;
  }

  /** Streams in progress (opening or open). */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Asks the agent to serve `request`; resolves once it accepted (with the data to come) or
   * refused, timed out, or went away.
   * @example const r = await session.open("logs", { namespace: "default", pod: "web", ... }); if (r.ok) return new Response(r.body)
   */
  open<K extends StreamKind>(kind: K, request: StreamRequests[K]): Promise<OpenResult> {
    if (this.closedWith !== undefined) return Promise.resolve({ ok: false, code: 503, message: this.closedWith });
    const id = this.allocateId();
    return new Promise<OpenResult>((settle) => {
      const stream = this.newStream(id, settle);
      this.streams.set(id, stream);
      stream.timer = setTimeout(() => {
        if (stream.accepted || !this.streams.has(id)) return;
        this.forget(id);
        this.trySend(encodeControl({ t: "cancel", id, reason: "no answer in time" }));
        settle({ ok: false, code: 504, message: `the node did not answer within ${Math.round(this.acceptTimeoutMs / 1000)}s` });
      }, this.acceptTimeoutMs);
      const open = { t: "open", id, kind, request, window: this.window } as ControlMessage;
      if (!this.trySend(encodeControl(open))) {
        this.forget(id);
        settle({ ok: false, code: 503, message: "the node's relay connection closed" });
      }
    });
  }

  /** Handles one frame from the agent; junk and frames of unknown streams never throw. */
  receive(frame: string | ArrayBuffer | Uint8Array): void {
    if (typeof frame === "string") this.onControl(decodeControl(frame));
    else this.onData(frame);
  }

  /** The socket is gone: every stream fails, pending opens with 503. */
  close(message: string): void {
    this.closedWith = message;
    for (const s of [...this.streams.values()]) {
      this.forget(s.id);
      if (!s.accepted) s.settle({ ok: false, code: 503, message });
      else {
        // Ended, not errored: an errored body surfaces in workerd as an uncaught rejection of the
        // response pipe, and the client sees a cut stream either way.
        try {
          s.controller?.close();
        } catch {
          // already closed or errored
        }
      }
    }
  }

  private allocateId(): number {
    let id = this.nextId;
    while (this.streams.has(id)) id = (id % MAX_STREAM_ID) + 1;
    this.nextId = (id % MAX_STREAM_ID) + 1;
    return id;
  }

  private newStream(id: number, settle: (r: OpenResult) => void): Stream {
    // start() runs inside the constructor, before the stream record exists.
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        pull: (c) => this.grantCredit(stream, c),
        cancel: () => {
          if (!this.streams.has(id)) return;
          this.forget(id);
          this.trySend(encodeControl({ t: "cancel", id, reason: "the client went away" }));
        },
      },
      { highWaterMark: this.window, size: (chunk) => chunk.byteLength },
    );
    const stream: Stream = { id, accepted: false, settle, received: 0, credited: 0, body, controller };
    return stream;
  }

  /** Slides the window: what left the queue since the last grant goes back to the agent. */
  private grantCredit(s: Stream, controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (!this.streams.has(s.id)) return;
    const queued = Math.max(0, this.window - (controller.desiredSize ?? 0));
    const consumed = s.received - queued;
    const owed = consumed - s.credited;
    if (owed <= 0 || (owed < this.window / 4 && queued > 0)) return;
    s.credited = consumed;
    this.trySend(encodeControl({ t: "credit", id: s.id, bytes: owed }));
  }

  private accept(s: Stream): void {
    if (s.accepted) return;
    s.accepted = true;
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.settle({ ok: true, body: s.body });
  }

  private onControl(msg: ControlMessage | undefined): void {
    if (!msg || msg.t === "ping" || msg.t === "pong" || msg.t === "open") return;
    const s = this.streams.get(msg.id);
    if (!s) {
      if (msg.t !== "cancel" && msg.t !== "error" && msg.t !== "end") this.trySend(encodeControl({ t: "cancel", id: msg.id, reason: "unknown stream" }));
      return;
    }
    switch (msg.t) {
      case "accept":
        this.accept(s);
        return;
      case "error":
        this.forget(s.id);
        if (!s.accepted) s.settle({ ok: false, code: msg.code, message: msg.message });
        else s.controller?.error(new Error(msg.message));
        return;
      case "cancel":
        this.forget(s.id);
        if (!s.accepted) s.settle({ ok: false, code: 502, message: `the node dropped the request${msg.reason ? `: ${msg.reason}` : ""}` });
        else s.controller?.error(new Error(msg.reason ?? "the node dropped the stream"));
        return;
      case "end":
        this.accept(s);
        this.forget(s.id);
        s.controller?.close();
        return;
      case "credit":
        // Nothing flows towards the agent on the kinds served so far.
        return;
    }
  }

  private onData(frame: ArrayBuffer | Uint8Array): void {
    const data = decodeData(frame);
    if (!data) return;
    const s = this.streams.get(data.id);
    if (!s) {
      this.trySend(encodeControl({ t: "cancel", id: data.id, reason: "unknown stream" }));
      return;
    }
    this.accept(s);
    s.received += data.payload.byteLength;
    const controller = s.controller!;
    // An agent that ignores its window is cut off rather than allowed to fill memory.
    if ((controller.desiredSize ?? 0) - data.payload.byteLength < -this.window) {
      this.forget(s.id);
      this.trySend(encodeControl({ t: "cancel", id: s.id, reason: "flow-control window exceeded" }));
      controller.error(new Error("the node sent more than its window"));
      return;
    }
    controller.enqueue(data.payload.slice());
  }

  private forget(id: number): void {
    const s = this.streams.get(id);
    if (s?.timer !== undefined) clearTimeout(s.timer);
    this.streams.delete(id);
  }

  private trySend(frame: string | Uint8Array): boolean {
    try {
      this.opts.send(frame);
      return true;
    } catch {
      return false;
    }
  }
}
