/**
 * Asks the upstream resolvers what the cluster does not know. Each exchange uses a fresh socket
 * (a fresh source port) and a random query ID, and accepts only a reply from the queried server
 * that carries that ID and the same question, so off-path spoofing has to guess both. A server
 * that fails or stays silent past the timeout hands over to the next one.
 */
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect, isIPv6 } from "node:net";
import { decodeHeader, decodeMessage } from "./dns-decode";
import { encodeMessage } from "./dns-encode";
import { emptyFlags, RRClass, type DnsMessage, type DnsQuestion } from "./dns-message";
import { serverOpt } from "./edns";
import { TcpFrameReader, frameMessage } from "./tcp-framing";
import type { Upstream } from "./upstream";

export interface ForwarderOptions {
  upstreams: readonly Upstream[];
  /** How long one upstream may take before the next is asked. */
  timeoutMs?: number;
  /** Queries waiting on upstreams at once; more are refused until some finish. */
  maxInFlight?: number;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_IN_FLIGHT = 512;

export class UpstreamForwarder {
  private readonly upstreams: readonly Upstream[];
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly open = new Set<() => void>();
  private closed = false;

  constructor(opts: ForwarderOptions) {
    this.upstreams = opts.upstreams;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

  get hasUpstreams(): boolean {
    return this.upstreams.length > 0;
  }

  /**
   * Relays `query` (about `question`) and returns the first upstream's reply with the query's own
   * ID, or undefined when none answered. A truncated UDP reply is asked again over TCP when
   * `tcpOnTruncation` is set (the client came over TCP, so it can take a large answer).
   */
  async forward(query: Uint8Array, question: DnsQuestion, tcpOnTruncation: boolean): Promise<Uint8Array | undefined> {
    const header = decodeHeader(query);
    if (!header || this.closed || this.inFlight >= this.maxInFlight) return undefined;
    this.inFlight++;
    try {
      for (const upstream of this.upstreams) {
        const id = randomInt(0, 0x10000);
        const packet = withId(query, id);
        let reply = await this.exchangeUdp(upstream, packet, id, question);
        if (reply && tcpOnTruncation && decodeHeader(reply)?.flags.tc) reply = (await this.exchangeTcp(upstream, packet, id, question)) ?? reply;
        if (reply) return withId(reply, header.id);
        if (this.closed) return undefined;
      }
      return undefined;
    } finally {
      this.inFlight--;
    }
  }

  /** Resolves `name` upstream (for an alias pointing out of the cluster); undefined on failure. */
  async resolve(name: string, type: number): Promise<DnsMessage | undefined> {
    const question: DnsQuestion = { name, type, class: RRClass.IN };
    const query = encodeMessage({ id: 0, flags: { ...emptyFlags(), rd: true }, questions: [question], answers: [], authorities: [], additionals: [serverOpt(0)] });
    const reply = await this.forward(query, question, true);
    if (!reply) return undefined;
    try {
      return decodeMessage(reply);
    } catch {
      return undefined;
    }
  }

  /** Abandons every exchange still waiting; later calls get no answer. */
  close(): void {
    this.closed = true;
    for (const abandon of [...this.open]) abandon();
  }

  private exchangeUdp(upstream: Upstream, packet: Uint8Array, id: number, question: DnsQuestion): Promise<Uint8Array | undefined> {
    return this.exchange((finish) => {
      const socket = createSocket(isIPv6(upstream.host) ? "udp6" : "udp4");
      socket.on("error", () => finish(undefined));
      socket.on("message", (msg) => {
        if (answers(msg, id, question)) finish(new Uint8Array(msg));
      });
      socket.connect(upstream.port, upstream.host, () => socket.send(packet, (err) => err && finish(undefined)));
      return () => socket.close();
    });
  }

  private exchangeTcp(upstream: Upstream, packet: Uint8Array, id: number, question: DnsQuestion): Promise<Uint8Array | undefined> {
    return this.exchange((finish) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      const frames = new TcpFrameReader((msg) => {
        if (answers(msg, id, question)) finish(msg);
      });
      socket.on("connect", () => socket.write(frameMessage(packet)));
      socket.on("data", (chunk) => frames.push(chunk));
      socket.on("error", () => finish(undefined));
      socket.on("close", () => finish(undefined));
      return () => socket.destroy();
    });
  }

  /** Runs one exchange with the timeout, and registers it so that close() can abandon it. */
  private exchange(start: (finish: (reply: Uint8Array | undefined) => void) => () => void): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      let done = false;
      let cleanup: () => void = () => {};
      const finish = (reply: Uint8Array | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(abandon);
        try {
          cleanup();
        } catch {
          // already closed
        }
        resolve(reply);
      };
      const abandon = () => finish(undefined);
      const timer = setTimeout(abandon, this.timeoutMs);
      this.open.add(abandon);
      try {
        cleanup = start(finish);
      } catch {
        finish(undefined);
      }
      if (done) cleanup();
    });
  }
}

/** Whether `msg` is the reply to the query with `id` about `question`. */
function answers(msg: Uint8Array, id: number, question: DnsQuestion): boolean {
  try {
    const reply = decodeMessage(msg);
    const q = reply.questions[0];
    return (
      reply.id === id &&
      reply.flags.qr &&
      reply.questions.length === 1 &&
      q.name.toLowerCase() === question.name.toLowerCase() &&
      q.type === question.type &&
      q.class === question.class
    );
  } catch {
    return false;
  }
}

function withId(packet: Uint8Array, id: number): Uint8Array {
  const copy = Uint8Array.from(packet);
  copy[0] = id >> 8;
  copy[1] = id & 0xff;
  return copy;
}
