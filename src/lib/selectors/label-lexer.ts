/**
 * Tokenizer for the labelSelector query string. Identifiers run until whitespace or one of
 * the operator characters, so values may hold anything else (validation rejects it later,
 * with a better message than a syntax error would give).
 */

/** Token kinds; operator tokens are named by their own text. */
export type TokenKind = "end" | "ident" | "in" | "notin" | "(" | ")" | "," | "!" | "=" | "==" | "!=" | ">" | "<";

/** One token and the text it was read from ("" for the end). */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const SPECIAL = new Set(["=", "!", "(", ")", ",", ">", "<"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);
const TWO_CHAR_OPS = new Set(["!=", "=="]);

/** Splits a selector into tokens, always ending with an `end` token. */
export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && WHITESPACE.has(s[i])) i++;
    if (i >= s.length) {
      out.push({ kind: "end", text: "" });
      return out;
    }
    if (SPECIAL.has(s[i])) {
      // Longest match: "!=" and "==" are the only two-character operators.
      const two = s.slice(i, i + 2);
      const text = TWO_CHAR_OPS.has(two) ? two : s[i];
      out.push({ kind: text as TokenKind, text });
      i += text.length;
      continue;
    }
    let j = i;
    while (j < s.length && !SPECIAL.has(s[j]) && !WHITESPACE.has(s[j])) j++;
    const text = s.slice(i, j);
    out.push({ kind: text === "in" || text === "notin" ? text : "ident", text });
    i = j;
  }
}
