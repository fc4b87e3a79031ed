/**
 * The address and port ranges Services draw from: an IPv4 service CIDR and the node port range.
 * Addresses are handled as unsigned 32-bit numbers so that ranges are plain intervals.
 */

/** The service CIDR of a default cluster (kube-apiserver's --service-cluster-ip-range). */
export const DEFAULT_SERVICE_CIDR = "10.96.0.0/12";

/** An inclusive interval of numbers: addresses or ports. */
export interface Interval {
  readonly min: number;
  readonly max: number;
}

/** A parsed IPv4 CIDR. */
export interface ServiceCidr {
  /** As written, normalised to its network address ("10.96.0.0/12"). */
  readonly text: string;
  readonly network: number;
  readonly prefix: number;
  /** The assignable addresses: the network and broadcast addresses are left out. */
  readonly usable: Interval;
}

/** "10.96.0.1" → 174063617; undefined when it is not a dotted-quad IPv4 address. */
export function ipv4ToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Parses an IPv4 CIDR; host bits are cleared, as Go's net.ParseCIDR does.
 * @example parseServiceCidr("10.96.0.0/12").usable // { min: 10.96.0.1, max: 10.111.255.254 } as numbers
 */
export function parseServiceCidr(text: string): ServiceCidr {
  const [addr, bits] = text.trim().split("/");
  const base = ipv4ToNumber(addr ?? "");
  const prefix = Number(bits);
  if (base === undefined || bits === undefined || !/^\d+$/.test(bits) || prefix < 1 || prefix > 30) {
    throw new Error(`invalid service CIDR ${JSON.stringify(text)}: want an IPv4 network such as ${DEFAULT_SERVICE_CIDR} with a prefix between /1 and /30`);
  }
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  return { text: `${numberToIpv4(network)}/${prefix}`, network, prefix, usable: { min: network + 1, max: network + size - 2 } };
}

/** The first assignable address of the range: the `kubernetes` Service's. */
export function firstServiceIP(cidr: ServiceCidr): string {
  return numberToIpv4(cidr.usable.min);
}

/**
 * Upstream keeps the bottom of each range for addresses and ports that users ask for by number
 * and hands out the rest first, so a requested value rarely collides with a generated one. The
 * band is size/16 clamped to [16, 256] for addresses, size/32 clamped to [16, 128] for ports.
 */
export function staticBand(range: Interval, divisor: number, cap: number): number {
  const size = range.max - range.min + 1;
  return Math.min(Math.max(16, Math.floor(size / divisor)), cap, size);
}
