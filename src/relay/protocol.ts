/**
 * The relay protocol (subprotocol "flotilla.relay.v1"): how the control plane reaches a node
 * that it cannot dial.
 *
 * Every node's agent keeps one outbound WebSocket to its relay (`GET /flotilla/v1/nodes/<node>/relay`,
 * authenticated with the node's credential). Over that one socket the control plane opens any
 * number of concurrent streams: one per request the node must serve (`kubectl logs` today; exec,
 * attach and port-forward use the same frames). The agent never opens streams.
 *
 * Text frames are JSON control messages, each with a type `t`:
 *
 *   open    CP → agent  { t, id, kind, request, window }  start stream `id` serving `request`;
 *                       the agent may send `window` data bytes before it needs credit.
 *   accept  agent → CP  { t, id, window? }                the request is good and data follows
 *                       (for an HTTP request: the 200 and its headers go out now). `window` is
 *                       what the control plane may send towards the agent (stdin), if anything.
 *   error   agent → CP  { t, id, code, message }          the request failed. Before `accept` this
 *                       is the answer (code is an HTTP status: 400 for a missing container, ...);
 *                       after it the stream is aborted. Nothing more is sent for `id`.
 *   end     both ways   { t, id }                         the sender has sent all its data (a
 *                       half-close; for logs the agent's end finishes the response).
 *   cancel  both ways   { t, id, reason? }                abandon the stream now: the client went
 *                       away (CP → agent) or the agent dropped it. No more frames for `id`.
 *   credit  both ways   { t, id, bytes }                  the receiver consumed data and lets the
 *                       sender send `bytes` more (the window slides; nothing is sent unasked).
 *   ping / pong         { t }                             keep-alive from the agent; the relay
 *                       answers without waking up.
 *
 * Binary frames carry data: byte 0 is the frame type (1 = data), bytes 1–4 the stream id
 * (unsigned, big-endian), byte 5 the channel, the rest the payload (at most MAX_CHUNK_BYTES).
 * Channels follow the remote-command numbering: 0 stdin, 1 stdout, 2 stderr, 3 status,
 * 4 resize; logs and port-forward data use stdout. Frames of an unknown stream are answered with
 * `cancel` and otherwise ignored, so either side can forget a stream first.
 *
 * A node has one relay connection: a new one replaces the old, which is closed with code 4000
 * (REPLACED_CLOSE_CODE) and whose streams fail. Text frames and data frames of one connection
 * arrive in the order they were sent.
 *
 * This file is shared by the Worker and the Node.js agent: it uses nothing but the language and
 * TextEncoder/TextDecoder.
 */

export const RELAY_SUBPROTOCOL = "flotilla.relay.v1";

/** The largest payload of one data frame; bigger writes are split. */
export const MAX_CHUNK_BYTES = 32 * 1024;

/** How much a receiver lets a sender have in flight per stream before it grants more. */
export const DEFAULT_WINDOW_BYTES = 256 * 1024;

/** The close code of a socket that a newer connection of the same node replaced. */
export const REPLACED_CLOSE_CODE = 4000;

/** The keep-alive message and its answer (matched byte for byte by the relay's auto-response). */
export const PING = JSON.stringify({ t: "ping" });
export const PONG = JSON.stringify({ t: "pong" });

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4 } as const;
export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

const DATA_FRAME = 1;
const HEADER_BYTES = 6;
const MAX_STREAM_ID = 0xffffffff;

/** What `kubectl logs` asks of a node (upstream's PodLogOptions, with the container resolved). */
export interface LogRequest {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  /** RFC 3339. */
  sinceTime?: string;
  sinceSeconds?: number;
  timestamps: boolean;
  limitBytes?: number;
}

/** The kinds of stream and the request each carries. */
export interface StreamRequests {
  logs: LogRequest;
}
export type StreamKind = keyof StreamRequests;

export type OpenMessage = { [K in StreamKind]: { t: "open"; id: number; kind: K; request: StreamRequests[K]; window: number } }[StreamKind];

export type ControlMessage =
  | OpenMessage
  | { t: "accept"; id: number; window?: number }
  | { t: "error"; id: number; code: number; message: string }
  | { t: "end"; id: number }
  | { t: "cancel"; id: number; reason?: string }
  | { t: "credit"; id: number; bytes: number }
  | { t: "ping" }
  | { t: "pong" };

export interface DataFrame {
  id: number;
  channel: number;
  payload: Uint8Array;
}

type Obj = Record<string, unknown>;

const isStreamId = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_STREAM_ID;
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const optional = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isBool = (v: unknown): v is boolean => typeof v === "boolean";

/** Checks a log request's shape field by field; undefined when anything is off. */
export function parseLogRequest(v: unknown): LogRequest | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const r = v as Obj;
  const ok =
    isString(r.namespace) &&
    isString(r.pod) &&
    isString(r.podUid) &&
    isString(r.container) &&
    isBool(r.follow) &&
    isBool(r.previous) &&
    isBool(r.timestamps) &&
    optional(r.tailLines, isCount) &&
    optional(r.sinceTime, isString) &&
    optional(r.sinceSeconds, isCount) &&
    optional(r.limitBytes, isCount);
  return ok ? (r as unknown as LogRequest) : undefined;
}

/** Serializes a control message into a text frame. */
export function encodeControl(msg: ControlMessage): string {
  return JSON.stringify(msg);
}

/**
 * Parses a text frame; undefined for anything that is not a well-formed control message (a peer
 * must survive junk, so this never throws).
 * @example decodeControl('{"t":"credit","id":7,"bytes":65536}') // { t: "credit", id: 7, bytes: 65536 }
 */
export function decodeControl(text: string): ControlMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const m = v as Obj;
  switch (m.t) {
    case "ping":
    case "pong":
      return { t: m.t };
    case "open": {
      if (!isStreamId(m.id) || !isCount(m.window) || m.kind !== "logs") return undefined;
      const request = parseLogRequest(m.request);
      return request ? { t: "open", id: m.id, kind: "logs", request, window: m.window } : undefined;
    }
    case "accept":
      return isStreamId(m.id) && optional(m.window, isCount) ? (m.window === undefined ? { t: "accept", id: m.id } : { t: "accept", id: m.id, window: m.window as number }) : undefined;
    case "error":
      return isStreamId(m.id) && isCount(m.code) && isString(m.message) ? { t: "error", id: m.id, code: m.code, message: m.message } : undefined;
    case "end":
      return isStreamId(m.id) ? { t: "end", id: m.id } : undefined;
    case "cancel":
      if (!isStreamId(m.id) || !optional(m.reason, isString)) return undefined;
      return m.reason === undefined ? { t: "cancel", id: m.id } : { t: "cancel", id: m.id, reason: m.reason as string };
    case "credit":
      return isStreamId(m.id) && isCount(m.bytes) ? { t: "credit", id: m.id, bytes: m.bytes } : undefined;
    default:
      return undefined;
  }
}

/**
 * A data frame: type, stream id, channel, payload.
 * @example encodeData(7, CHANNEL.stdout, new TextEncoder().encode("hello\n"))
 */
export function encodeData(id: number, channel: number, payload: Uint8Array): Uint8Array {
  if (!isStreamId(id)) throw new RangeError(`invalid stream id ${id}`);
  if (payload.byteLength > MAX_CHUNK_BYTES) throw new RangeError(`a data frame carries at most ${MAX_CHUNK_BYTES} bytes`);
  const out = new Uint8Array(HEADER_BYTES + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, DATA_FRAME);
  view.setUint32(1, id);
  view.setUint8(5, channel);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Parses a binary frame; undefined for anything but a data frame with a sane header. */
export function decodeData(frame: ArrayBuffer | Uint8Array): DataFrame | undefined {
  const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
  if (bytes.byteLength < HEADER_BYTES || bytes.byteLength > HEADER_BYTES + MAX_CHUNK_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== DATA_FRAME) return undefined;
  return { id: view.getUint32(1), channel: view.getUint8(5), payload: bytes.subarray(HEADER_BYTES) };
}

/**
 * Cuts a payload into frame-sized pieces (views, not copies).
 * @example chunks(new Uint8Array(70_000)).length // 3
 */
export function chunks(payload: Uint8Array, size = MAX_CHUNK_BYTES): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.byteLength; at += size) out.push(payload.subarray(at, Math.min(at + size, payload.byteLength)));
  return out;
}
