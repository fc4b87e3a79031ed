/** An IPv4 network: its address as an unsigned 32-bit number and its prefix length. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefixLength: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when the text is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = OCTETS.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith("0")) return undefined; // leading zeros read as octal elsewhere
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * Parses "a.b.c.d/n". Host bits must be zero: a node's podCIDR is always written in canonical
 * form, so anything else is a configuration mistake worth reporting.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const [address, length, ...rest] = text.split("/");
  const network = parseIpv4(address ?? "");
  const prefixLength = /^\d{1,2}$/.test(length ?? "") ? Number(length) : NaN;
  if (network === undefined || rest.length > 0 || !(prefixLength >= 0 && prefixLength <= 32)) {
    throw new Error(`invalid IPv4 CIDR "${text}"`);
  }
  if ((network & ~maskOf(prefixLength)) >>> 0 !== 0) {
    throw new Error(`IPv4 CIDR "${text}" has host bits set`);
  }
  return { network, prefixLength };
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}

/** The first usable address, which the bridge takes as the pods' gateway. */
export function firstHostAddress(cidr: Ipv4Cidr): string {
  return formatIpv4(cidr.network + 1);
}

export function cidrContains(cidr: Ipv4Cidr, ip: string): boolean {
  const value = parseIpv4(ip);
  return value !== undefined && (value & maskOf(cidr.prefixLength)) >>> 0 === cidr.network;
}
