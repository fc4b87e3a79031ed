import { describe, expect, it } from "vitest";
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
} from "../../src/lib/names";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe("DNS-1123 subdomain", () => {
  it.each([
    ["example.com", []],
    ["a", []],
    ["Bad_Name", [SUBDOMAIN_MSG]],
    ["-a", [SUBDOMAIN_MSG]],
    ["a".repeat(254), ["must be no more than 253 characters"]],
  ])("%s", (v, want) => expect(isDNS1123Subdomain(v)).toEqual(want));
});

describe("DNS-1123 label", () => {
  it.each([
    ["my-ns", []],
    ["a.b", ["must not contain dots"]],
    ["UPPER", [LABEL_MSG]],
    ["a".repeat(64), ["must be no more than 63 characters"]],
  ])("%s", (v, want) => expect(isDNS1123Label(v)).toEqual(want));
});

describe("DNS-1035 label", () => {
  it("rejects a leading digit with the service-name message", () => {
    expect(isDNS1035Label("1abc")).toEqual([
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isDNS1035Label("web")).toEqual([]);
  });
});

describe("qualified names and label values", () => {
  it.each([
    ["app", 0],
    ["example.com/app", 0],
    ["app.kubernetes.io/name", 0],
    ["/app", 1],
    ["a/b/c", 1],
    ["Bad_/x", 1],
    ["-x", 1],
  ])("key %s has %i errors", (v, n) => expect(isQualifiedName(v)).toHaveLength(n));
  it("words prefix and name errors like the apiserver", () => {
    expect(isQualifiedName("/app")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("x/")[0]).toBe("name part must be non-empty");
    expect(isQualifiedName("a_")[0]).toMatch(/^name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character \(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used/);
  });
  it.each([
    ["", 0],
    ["v1.2_x", 0],
    ["-bad", 1],
    ["x".repeat(64), 1],
  ])("value %s has %i errors", (v, n) => expect(isValidLabelValue(v)).toHaveLength(n));
});

describe("other name forms", () => {
  it.each([
    ["system:viewer", false, []],
    ["..", false, ["may not be '..'"]],
    ["a/b%c", false, ["may not contain '/'", "may not contain '%'"]],
    ["..", true, []],
  ] as const)("path segment %s (prefix %s)", (v, prefix, want) => expect(isValidPathSegmentName(v, prefix)).toEqual(want));
  it.each([
    ["key.name", []],
    ["..x", ["must not start with '..'"]],
    ["a b", ["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
  ])("config key %s", (v, want) => expect(isConfigMapKey(v)).toEqual(want));
  it.each([
    [80, []],
    [0, ["must be between 1 and 65535, inclusive"]],
    [70000, ["must be between 1 and 65535, inclusive"]],
  ])("port %i", (v, want) => expect(isValidPortNum(v)).toEqual(want));
  it.each([
    ["http", 0],
    ["8080", 1],
    ["a--b", 1],
    ["averyveryverylongname", 1],
  ])("port name %s has %i errors", (v, n) => expect(isValidPortName(v)).toHaveLength(n));
  it("percent", () => {
    expect(isValidPercent("25%")).toEqual([]);
    expect(isValidPercent("25")).toHaveLength(1);
  });
});
