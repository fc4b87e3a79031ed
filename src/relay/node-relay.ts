import { DurableObject } from "cloudflare:workers";
import { PING, PONG, RELAY_SUBPROTOCOL, REPLACED_CLOSE_CODE, type StreamKind, type StreamRequests } from "./protocol";
import { RelaySession } from "./relay-session";
import { relayError } from "./relay-status";

/** What the Worker sends to open a stream: `POST /streams`. */
export interface OpenStreamBody<K extends StreamKind = StreamKind> {
  node: string;
  kind: K;
  request: StreamRequests[K];
}

/**
 * The relay of one node: holds the WebSocket its agent dialled and carries the control plane's
 * requests for that node over it. The socket is accepted with the hibernation API, so an idle
 * node costs nothing but the socket, and keep-alive pings are answered without waking the object.
 * Streams live in memory only; an open stream keeps the object awake.
 *
 * Routes (from the Worker only): `GET /connect` (WebSocket upgrade) and `POST /streams`
 * (`OpenStreamBody` → the agent's data as the body, or a Status).
 */
export class NodeRelay extends DurableObject<Env> {
  private readonly sessions = new Map<WebSocket, RelaySession>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/connect" && request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.acceptAgent();
    if (path === "/streams" && request.method === "POST") return this.openStream((await request.json()) as OpenStreamBody);
    return new Response("not found", { status: 404 });
  }

  /** Accepts the agent's socket; an older one of the same node is closed and its streams fail. */
  private acceptAgent(): Response {
    for (const old of this.ctx.getWebSockets()) this.drop(old, REPLACED_CLOSE_CODE, "replaced by a newer connection of this node");
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": RELAY_SUBPROTOCOL } });
  }

  private async openStream(body: OpenStreamBody): Promise<Response> {
    const ws = this.ctx.getWebSockets().findLast((w) => w.readyState === WebSocket.OPEN);
    if (!ws) return this.status(relayError(503, `node "${body.node}" is not connected: its agent has no relay connection to the control plane`));
    const res = await this.sessionOf(ws).open(body.kind, body.request);
    if (!res.ok) return this.status(relayError(res.code, res.message));
    return new Response(res.body, { headers: { "content-type": "text/plain" } });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.sessionOf(ws).receive(message);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.drop(ws, 1000, "closed by the agent");
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.drop(ws, 1011, "socket error");
  }

  private sessionOf(ws: WebSocket): RelaySession {
    let s = this.sessions.get(ws);
    if (!s) {
      const firstId = crypto.getRandomValues(new Uint32Array(1))[0];
      s = new RelaySession({ send: (frame) => ws.send(frame), firstId });
      this.sessions.set(ws, s);
    }
    return s;
  }

  private drop(ws: WebSocket, code: number, reason: string): void {
    this.sessions.get(ws)?.close("the node's relay connection closed");
    this.sessions.delete(ws);
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }

  private status(e: ReturnType<typeof relayError>): Response {
    return Response.json(e.toStatus(), { status: e.code });
  }
}
