/** Where the upstream resolvers are: `10.0.0.2`, `10.0.0.2:5353`, `fd00::1`, `[fd00::1]:5353`. */
import { isIP } from "node:net";

export interface Upstream {
  host: string;
  port: number;
}

export const DNS_PORT = 53;

/** Reads one upstream; throws on anything that is not an address with an optional port. */
export function parseUpstream(text: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return checked(bracketed[1], bracketed[2], text);
  if (isIP(text)) return { host: text, port: DNS_PORT };
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  if (withPort) return checked(withPort[1], withPort[2], text);
  throw new Error(`upstream resolver ${JSON.stringify(text)} is not an IP address with an optional port`);
}

function checked(host: string, port: string | undefined, text: string): Upstream {
  const n = port === undefined ? DNS_PORT : Number(port);
  if (!isIP(host) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`upstream resolver ${JSON.stringify(text)} is not an IP address with an optional port`);
  }
  return { host, port: n };
}

/** The nameservers of a resolv.conf, leaving out loopback ones (a pod cannot reach the host's loopback). */
export function upstreamsFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const ip = m[1];
    if (isIP(ip) === 0 || ip.startsWith("127.") || ip === "::1") continue;
    out.push(ip);
  }
  return out;
}
