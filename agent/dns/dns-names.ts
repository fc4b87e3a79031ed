/**
 * DNS names between their text form (`web.default.svc.cluster.local`, escapes `\.`, `\\`,
 * `\DDD`) and their wire labels. Wire limits: a label holds at most 63 bytes, a whole name
 * at most 255 bytes including the length bytes and the final zero.
 */

export const MAX_LABEL_BYTES = 63;
export const MAX_NAME_BYTES = 255;

/** A name that cannot be put on the wire. */
export class DnsNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DnsNameError";
  }
}

/** The wire labels of a text name; "" and "." are the root (no labels). */
export function nameToLabels(name: string): Uint8Array[] {
  if (name === "" || name === ".") return [];
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let i = 0;
  const finish = () => {
    if (current.length === 0) throw new DnsNameError(`empty label in ${JSON.stringify(name)}`);
    if (current.length > MAX_LABEL_BYTES) throw new DnsNameError(`label longer than ${MAX_LABEL_BYTES} bytes in ${JSON.stringify(name)}`);
    labels.push(Uint8Array.from(current));
    current = [];
  };
  while (i < name.length) {
    const ch = name.charCodeAt(i);
    if (ch === 0x2e /* . */) {
      finish();
      i++;
      if (i === name.length) return checkTotal(labels, name);
      continue;
    }
    if (ch === 0x5c /* \ */) {
      const digits = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      if (digits) {
        const value = Number(digits[0]);
        if (value > 255) throw new DnsNameError(`bad escape \\${digits[0]} in ${JSON.stringify(name)}`);
        current.push(value);
        i += 4;
        continue;
      }
      if (i + 1 >= name.length) throw new DnsNameError(`dangling backslash in ${JSON.stringify(name)}`);
      current.push(name.charCodeAt(i + 1) & 0xff);
      i += 2;
      continue;
    }
    if (ch > 0xff) throw new DnsNameError(`non-Latin-1 character in ${JSON.stringify(name)}`);
    current.push(ch);
    i++;
  }
  finish();
  return checkTotal(labels, name);
}

function checkTotal(labels: Uint8Array[], name: string): Uint8Array[] {
  const size = labels.reduce((n, l) => n + 1 + l.length, 1);
  if (size > MAX_NAME_BYTES) throw new DnsNameError(`name longer than ${MAX_NAME_BYTES} bytes: ${JSON.stringify(name)}`);
  return labels;
}

/** The text form of one wire label, escaping what would otherwise be ambiguous. */
export function labelToText(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) {
    if (b === 0x2e || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) text += String.fromCharCode(b);
    else text += `\\${b.toString().padStart(3, "0")}`;
  }
  return text;
}

/** The text form of a name made of `labels`. */
export function labelsToName(labels: readonly Uint8Array[]): string {
  return labels.map(labelToText).join(".");
}

/** The labels of a text name, as text, lower-cased; an escaped dot stays inside its label. */
export function splitName(name: string): string[] {
  return nameToLabels(name).map((l) => labelToText(l).toLowerCase());
}
