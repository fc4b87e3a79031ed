/**
 * Recursive-descent parser for the set-based label selector grammar:
 *
 *   selector    := requirement ("," requirement)*
 *   requirement := "!" KEY | KEY [ ("=" | "==" | "!=" | ">" | "<") VALUE? | ("in" | "notin") "(" values ")" ]
 *
 * "in" and "notin" are keywords only where an operator may stand, so `in in (in)` is a valid
 * selector on a key named "in". Error texts follow apimachinery's parser so users see the
 * same 400 message they would get from kube-apiserver.
 */
import { compareStrings, newRequirement, SelectorError, type LabelOperator, type LabelRequirement } from "./label-requirement";
import { tokenize, type Token, type TokenKind } from "./label-lexer";
import { invalidField, labelKeyErrors } from "./label-validation";

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";
const OPERATOR_OF: Partial<Record<TokenKind, LabelOperator>> = { in: "in", notin: "notin", "=": "=", "==": "==", "!=": "!=", ">": "gt", "<": "lt" };

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  /** The next token; outside operator position the keywords are plain identifiers. */
  private peek(operatorPosition = false): Token {
    return this.asContext(this.tokens[this.pos], operatorPosition);
  }

  private next(operatorPosition = false): Token {
    return this.asContext(this.tokens[this.pos++], operatorPosition);
  }

  private asContext(t: Token, operatorPosition: boolean): Token {
    if (!operatorPosition && (t.kind === "in" || t.kind === "notin")) return { kind: "ident", text: t.text };
    return t;
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "end") return out;
      if (t.kind !== "ident" && t.kind !== "!") throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      try {
        out.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const sep = this.next();
      if (sep.kind === "end") return out;
      if (sep.kind !== ",") throw new SelectorError(`found '${sep.text}', expected: ',' or 'end of string'`);
      const after = this.peek();
      if (after.kind !== "ident" && after.kind !== "!") throw new SelectorError(`found '${after.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    const negated = t.kind === "!";
    if (negated) t = this.next();
    if (t.kind !== "ident") throw new SelectorError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const keyErrs = labelKeyErrors(key);
    // Upstream validates the key here with an unset field path, hence "<nil>".
    if (keyErrs.length) throw new SelectorError(invalidField("<nil>", key, keyErrs.join("; ")));
    const following = this.peek().kind;
    if (negated) return newRequirement(key, "!", []);
    if (following === "end" || following === ",") return newRequirement(key, "exists", []);

    const opToken = this.next(true);
    const op = OPERATOR_OF[opToken.kind];
    if (!op) throw new SelectorError(`found '${opToken.text}', expected: ${BINARY_OPERATORS}`);
    const values = op === "in" || op === "notin" ? this.valueSet() : this.exactValue();
    return newRequirement(key, op, [...values].sort(compareStrings));
  }

  private valueSet(): Set<string> {
    const open = this.next();
    if (open.kind !== "(") throw new SelectorError(`found '${open.text}' expected: '('`);
    const first = this.peek();
    if (first.kind === ")") {
      this.next();
      return new Set([""]);
    }
    if (first.kind !== "ident" && first.kind !== ",") throw new SelectorError(`found '${first.text}', expected: ',', ')' or identifier`);
    const values = this.identifierList();
    if (this.next().kind !== ")") throw new SelectorError(`found '${first.text}', expected: ')'`);
    return values;
  }

  /** Comma-separated values where an empty slot stands for the empty string: "(a,,b)", "(,a)". */
  private identifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const t = this.next();
      if (t.kind === "ident") {
        values.add(t.text);
        const after = this.peek();
        if (after.kind === ")") return values;
        if (after.kind !== ",") throw new SelectorError(`found '${after.text}', expected: ',' or ')'`);
      } else if (t.kind === ",") {
        if (values.size === 0) values.add("");
        const after = this.peek();
        if (after.kind === ")") {
          values.add("");
          return values;
        }
        if (after.kind === ",") {
          this.next();
          values.add("");
        }
      } else {
        throw new SelectorError(`found '${t.text}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): Set<string> {
    const t = this.peek();
    if (t.kind === "end" || t.kind === ",") return new Set([""]);
    this.next();
    if (t.kind === "ident") return new Set([t.text]);
    throw new SelectorError(`found '${t.text}', expected: identifier`);
  }
}

/**
 * Parses a labelSelector string into requirements sorted by key. Throws SelectorError with
 * upstream's message on bad syntax or invalid keys/values.
 */
export function parseLabelRequirements(s: string): LabelRequirement[] {
  const reqs = new Parser(tokenize(s)).parse();
  // Stable sort keeps the written order of clauses on one key.
  return reqs.sort((a, b) => compareStrings(a.key, b.key));
}
