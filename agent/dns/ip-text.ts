/** IPv4 and IPv6 addresses between text and the bytes a DNS record carries. */
import { isIPv4, isIPv6 } from "node:net";

export function ipv4ToBytes(address: string): Uint8Array {
  if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Uint8Array.from(address.split(".").map(Number));
}

export function ipv4ToText(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}

export function ipv6ToBytes(address: string): Uint8Array {
  if (!isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
  let text = address.replace(/%.*$/, "");
  // an embedded IPv4 tail (::ffff:10.0.0.1) becomes two hextets
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4ToBytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const hextets = [...headParts, ...new Array<string>(zeros).fill("0"), ...tailParts].map((h) => parseInt(h, 16));
  const bytes = new Uint8Array(16);
  hextets.forEach((h, i) => {
    bytes[i * 2] = h >> 8;
    bytes[i * 2 + 1] = h & 0xff;
  });
  return bytes;
}

/** The RFC 5952 text form: lower case, the longest run of two or more zero hextets as `::`. */
export function ipv6ToText(bytes: Uint8Array): string {
  const hextets: number[] = [];
  for (let i = 0; i < 16; i += 2) hextets.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (parts: number[]) => parts.map((h) => h.toString(16)).join(":");
  if (bestStart < 0) return hex(hextets);
  return `${hex(hextets.slice(0, bestStart))}::${hex(hextets.slice(bestStart + bestLength))}`;
}
