/**
 * The node's cluster DNS server: answers the pods on this node for Service and pod names in the
 * cluster domain, and relays every other name to the node's own resolvers.
 *
 * It listens on the node's pod bridge address, which only exists once the first pod's network was
 * set up, so a bind that fails (EADDRNOTAVAIL until then) is retried quietly until it succeeds.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from "node:net";
import { zoneLabels } from "./cluster-query";
import type { DnsCatalog } from "./dns-catalog";
import { DnsResponder } from "./dns-responder";
import { UpstreamForwarder } from "./forwarder";
import { frameMessage, TcpFrameReader } from "./tcp-framing";
import { DNS_PORT, parseUpstream } from "./upstream";

export interface ClusterDnsOptions {
  /** The agent's Service catalog (only `services`, `service`, `endpoints` and `synced` are read). */
  catalog: DnsCatalog;
  /** The address to listen on: the node's pod bridge address. */
  address: string;
  /** Default 53; 0 picks a free port (then UDP and TCP share it). */
  port?: number;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** The host's resolvers (`ip` or `ip:port`, `[ipv6]:port`) for names outside the cluster. */
  upstreams: string[];
  log?: (line: string) => void;
  /** How often a failed bind is tried again; default 1 s. */
  retryBindMs?: number;
  /** How long one upstream may take before the next is asked; default 2 s. */
  upstreamTimeoutMs?: number;
}

export interface ClusterDns {
  /** Stops listening and abandons queries still waiting on upstreams. */
  stop(): Promise<void>;
  /** Whether both the UDP and the TCP socket are bound. */
  readonly listening: boolean;
  /** The port actually bound, once listening. */
  readonly port: number | undefined;
}

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
export const DEFAULT_RETRY_BIND_MS = 1000;
/** A TCP client that sends nothing for this long is disconnected (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 128;
/** Unexpected failures are logged this many times, then only counted. */
const MAX_FAILURE_LOGS = 5;

interface Bound {
  udp: UdpSocket;
  tcp: Server;
  port: number;
}

/**
 * Starts the server in the background; it answers as soon as `listening` turns true.
 *
 * @example
 * const dns = startClusterDns({ catalog, address: "10.244.1.1", upstreams: upstreamsFromResolvConf(text) });
 * // later
 * await dns.stop();
 */
export function startClusterDns(opts: ClusterDnsOptions): ClusterDns {
  const log = opts.log ?? (() => {});
  const zone = (opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN).toLowerCase().replace(/\.$/, "");
  const wantedPort = opts.port ?? DNS_PORT;
  const retryMs = opts.retryBindMs ?? DEFAULT_RETRY_BIND_MS;
  // the server must never forward to itself
  const upstreams = opts.upstreams.map(parseUpstream).filter((u) => !(u.host === opts.address && u.port === wantedPort));
  const forwarder = new UpstreamForwarder({ upstreams, timeoutMs: opts.upstreamTimeoutMs });
  const responder = new DnsResponder({ catalog: opts.catalog, zone, zoneLabels: zoneLabels(zone), serverAddress: opts.address, forwarder });

  let bound: Bound | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();
  let lastBindError: string | undefined;
  let failures = 0;
  const connections = new Set<TcpSocket>();

  const unexpected = (err: unknown) => {
    failures++;
    if (failures <= MAX_FAILURE_LOGS) log(`cluster DNS: answering a query failed: ${errorText(err)}${failures === MAX_FAILURE_LOGS ? " (further failures are not logged)" : ""}`);
  };

  const serveUdp = (udp: UdpSocket) => {
    udp.on("message", (msg, peer) => {
      responder.respond(msg, "udp").then((reply) => {
        if (!reply || stopped) return;
        try {
          udp.send(reply, peer.port, peer.address);
        } catch {
          // the socket closed while the answer was being prepared
        }
      }, unexpected);
    });
    udp.on("error", unexpected);
  };

  const serveTcp = (socket: TcpSocket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const frames = new TcpFrameReader((msg) => {
      responder.respond(msg, "tcp").then((reply) => {
        if (reply && !socket.destroyed) socket.write(frameMessage(reply));
      }, unexpected);
    });
    socket.on("data", (chunk) => frames.push(chunk));
  };

  const tryBind = async () => {
    if (stopped) return;
    try {
      const udp = await bindUdp(opts.address, wantedPort);
      const port = udp.address().port;
      let tcp: Server;
      try {
        tcp = await listenTcp(opts.address, port, serveTcp);
      } catch (err) {
        closeQuietly(udp);
        throw err;
      }
      if (stopped) {
        closeQuietly(udp);
        tcp.close();
        return;
      }
      serveUdp(udp);
      bound = { udp, tcp, port };
      log(`cluster DNS: listening on ${hostPort(opts.address, port)} (udp, tcp) for ${zone}`);
    } catch (err) {
      if (stopped) return;
      const code = (err as NodeJS.ErrnoException).code ?? errorText(err);
      if (code !== lastBindError) {
        lastBindError = code;
        const why = code === "EADDRNOTAVAIL" ? `${opts.address} is not on this node yet` : errorText(err);
        log(`cluster DNS: cannot listen on ${hostPort(opts.address, wantedPort)}: ${why}; retrying every ${retryMs} ms`);
      }
      retryTimer = setTimeout(() => (attempt = tryBind()), retryMs);
    }
  };
  attempt = tryBind();

  return {
    get listening() {
      return bound !== undefined && !stopped;
    },
    get port() {
      return stopped ? undefined : bound?.port;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      forwarder.close();
      await attempt;
      const current = bound;
      bound = undefined;
      if (!current) return;
      closeQuietly(current.udp);
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => current.tcp.close(() => resolve()));
    },
  };
}

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const udp = createSocket({ type: isIPv6(address) ? "udp6" : "udp4" });
    const fail = (err: Error) => {
      closeQuietly(udp);
      reject(err);
    };
    udp.once("error", fail);
    udp.bind({ address, port, exclusive: true }, () => {
      udp.off("error", fail);
      resolve(udp);
    });
  });
}

function listenTcp(address: string, port: number, onConnection: (socket: TcpSocket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.maxConnections = MAX_TCP_CONNECTIONS;
    const fail = (err: Error) => {
      server.close();
      reject(err);
    };
    server.once("error", fail);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off("error", fail);
      resolve(server);
    });
  });
}

function closeQuietly(udp: UdpSocket): void {
  try {
    udp.close();
  } catch {
    // never bound, or closed already
  }
}

function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
