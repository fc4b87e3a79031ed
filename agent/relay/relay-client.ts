/**
 * The agent's relay connection: one outbound WebSocket to the node's relay on the control plane,
 * kept up for as long as the agent runs, over which the control plane's requests for this node
 * (`kubectl logs`, later exec and port-forward) arrive. Outbound only, so a node behind NAT
 * needs no open port.
 */
import WebSocket from "ws";
import { Backoff, pause } from "../api/backoff";
import { PING, RELAY_SUBPROTOCOL, REPLACED_CLOSE_CODE } from "../../src/relay/protocol";
import type { RelayHandlers } from "./relay-handlers";
import { StreamServer } from "./stream-server";

export type { LogRequest, RelayHandlers, StreamOutput } from "./relay-handlers";
export { RelayRequestError } from "./relay-request-error";

export interface RelayOptions {
  /** The API server, e.g. https://203.0.113.7:8787 (its relay endpoint is derived from it). */
  server: string;
  /** The CA to trust for the server, when it is not publicly trusted. */
  caPem?: string;
  /** The node credential; asked for on every (re)connect, so a renewed one is picked up. */
  token: () => string;
  nodeName: string;
  handlers: RelayHandlers;
  /** A number in [0, 1) for the back-off's jitter (default Math.random). */
  random?: () => number;
  onState?(s: "connected" | "disconnected"): void;
  /** How often the agent pings (default 20 s); a connection silent for two intervals is dropped. */
  pingIntervalMs?: number;
  /** Reconnect delays: first and longest (default 1 s and 30 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  log?(line: string): void;
}

export interface Relay {
  /** Closes the connection, aborts the handlers in progress and stops reconnecting. */
  stop(): Promise<void>;
}

/** The relay endpoint of `node` on `server`. */
export function relayUrl(server: string, node: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  url.pathname = `${url.pathname.replace(/\/$/, "")}/flotilla/v1/nodes/${encodeURIComponent(node)}/relay`;
  return url.toString();
}

interface ConnectionEnd {
  opened: boolean;
  code: number;
}

/**
 * Connects to the relay and keeps reconnecting, forever, with capped exponential back-off plus
 * jitter (1 s, 2 s, 4 s ... 30 s; reset by a successful connection). Never throws and never
 * brings the process down: bad frames are dropped and handler failures are answered as errors.
 *
 * @example
 * const relay = startRelay({ server, caPem, token: () => credential, nodeName: "n1", handlers: { logs: serveLogs } });
 * process.on("SIGTERM", () => relay.stop());
 */
export function startRelay(opts: RelayOptions): Relay {
  const stopping = new AbortController();
  const log = opts.log ?? ((line: string) => console.warn(`relay: ${line}`));
  const pingMs = opts.pingIntervalMs ?? 20_000;
  const maxDelayMs = opts.maxDelayMs ?? 30_000;
  const backoff = new Backoff({ initialMs: opts.initialDelayMs ?? 1000, maxMs: maxDelayMs, random: opts.random });
  let socket: WebSocket | undefined;

  const connectOnce = (): Promise<ConnectionEnd> =>
    new Promise((done) => {
      let opened = false;
      let token: string;
      try {
        token = opts.token();
      } catch (e) {
        log(`no node credential to connect with: ${e instanceof Error ? e.message : String(e)}`);
        done({ opened, code: 0 });
        return;
      }
      const ws = new WebSocket(relayUrl(opts.server, opts.nodeName), [RELAY_SUBPROTOCOL], {
        ca: opts.caPem || undefined,
        headers: { authorization: `Bearer ${token}` },
        handshakeTimeout: 15_000,
        perMessageDeflate: false,
      });
      socket = ws;
      const send = (frame: string | Uint8Array) => {
        if (ws.readyState !== WebSocket.OPEN) throw new Error("the relay connection is closed");
        ws.send(frame);
      };
      const server = new StreamServer({ send, handlers: opts.handlers, log });
      // Intervals since the relay last said anything; pongs count, so an idle link stays up.
      let silent = 0;
      let pinger: ReturnType<typeof setInterval> | undefined;
      ws.on("open", () => {
        opened = true;
        backoff.reset();
        opts.onState?.("connected");
        pinger = setInterval(() => {
          if (++silent > 2) {
            log("the relay stopped answering; reconnecting");
            ws.terminate();
            return;
          }
          try {
            send(PING);
          } catch {
            // the close handler takes over
          }
        }, pingMs);
      });
      ws.on("message", (data, isBinary) => {
        silent = 0;
        try {
          const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
          server.receive(isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString("utf8"));
        } catch (e) {
          log(`dropped a relay message: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
      ws.on("unexpected-response", (_req, res) => {
        log(`the control plane refused the relay connection: HTTP ${res.statusCode}`);
        res.resume();
        ws.terminate();
      });
      ws.on("error", (e) => log(`relay connection error: ${e.message}`));
      ws.on("close", (code) => {
        if (pinger) clearInterval(pinger);
        server.closeAll("the relay connection closed");
        if (socket === ws) socket = undefined;
        if (opened) opts.onState?.("disconnected");
        done({ opened, code });
      });
    });

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const end = await connectOnce();
      if (stopping.signal.aborted) break;
      // Two agents claiming one node would otherwise take the relay from each other every second.
      const delay = end.code === REPLACED_CLOSE_CODE ? maxDelayMs : backoff.next();
      if (end.opened || end.code === REPLACED_CLOSE_CODE) log(`relay connection closed (code ${end.code}); reconnecting in ${Math.round(delay / 1000)}s`);
      await pause(delay, stopping.signal);
    }
  })().catch((e: unknown) => log(`relay loop stopped: ${e instanceof Error ? e.message : String(e)}`));

  return {
    async stop() {
      stopping.abort();
      const ws = socket;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise((r) => ws.once("close", r));
        ws.close(1000, "agent stopping");
        // A peer that never answers the close handshake is cut off.
        const timer = setTimeout(() => ws.terminate(), 2000);
        await closed;
        clearTimeout(timer);
      }
      await loop;
    },
  };
}
