/**
 * Small pieces the network probes share: an address in `host:port` form, and socket errors
 * worded the way the kubelet's Go networking words them, since those texts end up in the
 * pod's events (`dial tcp 10.244.0.5:8080: connect: connection refused`).
 */
import { isIPv6 } from "node:net";

/** `host:port`, with brackets around an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

const DIAL_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connect: connection refused",
  EHOSTUNREACH: "connect: no route to host",
  ENETUNREACH: "connect: network is unreachable",
  EADDRNOTAVAIL: "connect: cannot assign requested address",
  ETIMEDOUT: "i/o timeout",
  ECONNRESET: "read: connection reset by peer",
};

/** The text of a failed TCP dial to `addr`. */
export function dialError(addr: string, err: NodeJS.ErrnoException, host: string): string {
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return `dial tcp: lookup ${host}: no such host`;
  const known = err.code ? DIAL_ERRORS[err.code] : undefined;
  return `dial tcp ${addr}: ${known ?? err.message}`;
}

/** The port a probe names: a number, or the name of one of the container's ports. */
export function resolvePort(port: unknown, container: { name?: string; ports?: { name?: string; containerPort?: number }[] }): number {
  let n: number | undefined;
  if (typeof port === "number") n = port;
  else if (typeof port === "string") {
    n = container.ports?.find((p) => p.name === port)?.containerPort;
    if (n === undefined && /^\d+$/.test(port)) n = Number(port);
    if (n === undefined) throw new Error(`port ${JSON.stringify(port)} not found in container ${JSON.stringify(container.name ?? "")}`);
  }
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port number: ${String(n ?? port)}`);
  return n;
}

/** The User-Agent the kubelet's probes send. */
export const PROBE_USER_AGENT = "kube-probe/1.32";

/** A probe reads at most this much of a response or of a command's output. */
export const MAX_PROBE_OUTPUT = 10 * 1024;
