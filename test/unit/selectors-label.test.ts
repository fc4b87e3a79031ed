import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { formatLabelSelector, labelSelectorFromObject, parseLabelSelector } from "../../src/lib/selectors";

function parseError(s: string): StatusError {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error(`expected ${JSON.stringify(s)} to be rejected`);
}

describe("parseLabelSelector: canonical form", () => {
  it.each([
    ["", ""],
    ["x", "x"],
    ["!x", "!x"],
    ["x=a", "x=a"],
    ["x==a", "x==a"],
    ["x!=a", "x!=a"],
    ["x=", "x="],
    ["x=,y=b", "x=,y=b"],
    ["  x  =  a  ", "x=a"],
    ["\tx\n=\ra", "x=a"],
    ["x in (b,a,c)", "x in (a,b,c)"],
    ["x notin (b,a)", "x notin (a,b)"],
    ["x in (a,a)", "x in (a)"],
    ["x in ()", "x in ()"],
    ["x in (,a)", "x in (,a)"],
    ["x in (a,)", "x in (,a)"],
    ["x in (a,,b)", "x in (,a,b)"],
    ["z=1,a=2,m", "a=2,m,z=1"],
    ["x>1", "x>1"],
    ["x<3", "x<3"],
    ["in in (in,notin)", "in in (in,notin)"],
    ["notin", "notin"],
    ["example.com/app=web", "example.com/app=web"],
    ["a.b-c_d=E.f-G_h", "a.b-c_d=E.f-G_h"],
    ["x=a,x!=b", "x=a,x!=b"],
  ])("%j -> %j", (input, canonical) => {
    expect(parseLabelSelector(input).toString()).toBe(canonical);
  });

  it("treats undefined and empty strings as match-everything", () => {
    for (const s of [undefined, ""]) {
      const sel = parseLabelSelector(s);
      expect(sel.empty).toBe(true);
      expect(sel.matches(undefined)).toBe(true);
      expect(sel.matches({ a: "b" })).toBe(true);
    }
    expect(parseLabelSelector("a").empty).toBe(false);
  });
});

describe("parseLabelSelector: matching", () => {
  const cases: [string, Record<string, string> | undefined, boolean][] = [
    ["app=web", { app: "web" }, true],
    ["app=web", { app: "db" }, false],
    ["app=web", {}, false],
    ["app=web", undefined, false],
    ["app==web", { app: "web", x: "y" }, true],
    ["app!=web", { app: "db" }, true],
    ["app!=web", { app: "web" }, false],
    ["app!=web", {}, true],
    ["app", { app: "" }, true],
    ["app", { other: "x" }, false],
    ["!app", { other: "x" }, true],
    ["!app", { app: "" }, false],
    ["!app", undefined, true],
    ["app=", { app: "" }, true],
    ["app=", {}, false],
    ["tier in (fe,be)", { tier: "be" }, true],
    ["tier in (fe,be)", { tier: "db" }, false],
    ["tier in (fe,be)", {}, false],
    ["tier in (,fe)", { tier: "" }, true],
    ["tier notin (fe,be)", { tier: "db" }, true],
    ["tier notin (fe,be)", { tier: "fe" }, false],
    ["tier notin (fe,be)", {}, true],
    ["n>5", { n: "6" }, true],
    ["n>5", { n: "5" }, false],
    ["n<5", { n: "-10" }, true],
    ["n>5", { n: "x" }, false],
    ["n>5", {}, false],
    ["app=web,tier in (fe),!canary", { app: "web", tier: "fe" }, true],
    ["app=web,tier in (fe),!canary", { app: "web", tier: "fe", canary: "1" }, false],
    ["toString=x", {}, false],
    ["constructor", {}, false],
  ];
  it.each(cases)("%j on %j -> %s", (sel, labels, want) => {
    expect(parseLabelSelector(sel).matches(labels)).toBe(want);
  });
});

describe("parseLabelSelector: errors", () => {
  const QNAME_RULE =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const VALUE_RULE =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  it.each([
    ["x in b", "unable to parse requirement: found 'b' expected: '('"],
    ["x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"],
    ["x in (a", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["x in", "unable to parse requirement: found '' expected: '('"],
    ["x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ["x (a)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ["x=a b", "found 'b', expected: ',' or 'end of string'"],
    ["x=a,", "found '', expected: identifier after ','"],
    ["x=a,,y", "found ',', expected: identifier after ','"],
    [",x", "found ',', expected: !, identifier, or 'end of string'"],
    ["=x", "found '=', expected: !, identifier, or 'end of string'"],
    ["x=!", "unable to parse requirement: found '!', expected: identifier"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["!x=a", "found '=', expected: ',' or 'end of string'"],
    ["x>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ["x<-3", `unable to parse requirement: values[0][x]: Invalid value: "-3": ${VALUE_RULE}`],
    ["-x=a", `unable to parse requirement: <nil>: Invalid value: "-x": name part ${QNAME_RULE}`],
    ["a/b/c", `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QNAME_RULE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
    ["/x", 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty'],
    ["x=-a", `unable to parse requirement: values[0][x]: Invalid value: "-a": ${VALUE_RULE}`],
    ["x=" + "v".repeat(64), `unable to parse requirement: values[0][x]: Invalid value: "${"v".repeat(64)}": must be no more than 63 characters`],
  ])("%j -> %s", (input, message) => {
    const err = parseError(input);
    expect(err.code).toBe(400);
    expect(err.reason).toBe("BadRequest");
    expect(err.message).toBe(message);
  });

  it("rejects a key over 63 characters and an upper-case prefix", () => {
    expect(parseError("k".repeat(64)).message).toContain("name part must be no more than 63 characters");
    expect(parseError("Example.com/x").message).toContain("prefix part a lowercase RFC 1123 subdomain must consist of");
  });
});

describe("labelSelectorFromObject", () => {
  it("nil selects nothing and is not empty; {} selects everything", () => {
    for (const nil of [null, undefined]) {
      const sel = labelSelectorFromObject(nil);
      expect(sel.matches({ a: "b" })).toBe(false);
      expect(sel.matches(undefined)).toBe(false);
      expect(sel.empty).toBe(false);
      expect(sel.toString()).toBe("");
    }
    const all = labelSelectorFromObject({});
    expect(all.empty).toBe(true);
    expect(all.matches(undefined)).toBe(true);
    expect(labelSelectorFromObject({ matchLabels: {}, matchExpressions: [] }).empty).toBe(true);
  });

  it.each([
    [{ matchLabels: { app: "web" } }, { app: "web", x: "1" }, true],
    [{ matchLabels: { app: "web" } }, { app: "db" }, false],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }, { tier: "b" }, true],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a"] }] }, {}, true],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, { tier: "" }, true],
    [{ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, { tier: "" }, false],
    [{ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a"] }] }, { app: "web" }, false],
  ])("%j on %j -> %s", (sel, labels, want) => {
    expect(labelSelectorFromObject(sel).matches(labels)).toBe(want);
  });

  it.each([
    [{ matchExpressions: [{ key: "a", operator: "Equals", values: ["x"] }] }, '"Equals" is not a valid label selector operator'],
    [{ matchExpressions: [{ key: "a", operator: "In", values: [] }] }, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"],
    [{ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'],
    [{ matchLabels: { "bad key": "x" } }, 'key: Invalid value: "bad key": name part must consist of'],
  ])("%j is rejected", (sel, message) => {
    expect(() => labelSelectorFromObject(sel)).toThrow(StatusError);
    try {
      labelSelectorFromObject(sel);
    } catch (e) {
      expect((e as StatusError).code).toBe(400);
      expect((e as StatusError).message).toContain(message);
    }
  });
});

describe("formatLabelSelector", () => {
  it.each([
    [{ matchLabels: { tier: "fe", app: "web" } }, "app=web,tier=fe"],
    [{ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }, "app=web,tier in (a,b)"],
    [{ matchExpressions: [{ key: "x", operator: "NotIn", values: ["q"] }, { key: "a", operator: "Exists" }, { key: "m", operator: "DoesNotExist" }] }, "a,!m,x notin (q)"],
    [{}, ""],
    [null, ""],
  ])("%j -> %j", (sel, want) => {
    expect(formatLabelSelector(sel)).toBe(want);
  });

  it("round-trips through the string parser", () => {
    const sel = { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "NotIn", values: ["b", "a"] }] };
    expect(parseLabelSelector(formatLabelSelector(sel)).toString()).toBe(formatLabelSelector(sel));
  });
});
