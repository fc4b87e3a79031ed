/**
 * A string quoted the way Go's `%q` verb prints it. Several user-facing texts the kubelet
 * produces (downward API label files, exec probe timeouts) are built with `%q`, and scripts in
 * containers parse them, so the escaping has to match.
 *
 * @example goQuote('say "hi"\n') // "\"say \\\"hi\\\"\\n\""
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const named = NAMED_ESCAPES[ch];
    if (named) out += named;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    // C1 controls, lone surrogates and the BOM are not printable for Go either.
    else if ((cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) || cp === 0xfeff) out += `\\u${hex(cp, 4)}`;
    else out += ch;
  }
  return `${out}"`;
}

const NAMED_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
