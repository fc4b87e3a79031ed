import { describe, expect, it } from "vitest";
import { constantTimeEqual, parseBootstrapToken, sha256Hex, userFromBootstrapSecret } from "../../src/auth/tokens";

const NOW = Date.UTC(2026, 0, 1);
const b64 = (s: string) => btoa(s);

function secret(data: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "bootstrap-token-abcdef", namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...extra,
  };
}
const good = {
  "token-id": "abcdef",
  "token-secret": "0123456789abcdef",
  expiration: "2026-01-02T00:00:00Z",
  "usage-bootstrap-authentication": "true",
};

describe("parseBootstrapToken", () => {
  it.each([
    ["abcdef.0123456789abcdef", { id: "abcdef", secret: "0123456789abcdef" }],
    ["ABCDEF.0123456789abcdef", undefined],
    ["abcde.0123456789abcdef", undefined],
    ["abcdef.0123456789abcde", undefined],
    ["abcdef:0123456789abcdef", undefined],
    [" abcdef.0123456789abcdef", undefined],
    ["abcdef.0123456789abcdef\n", undefined],
  ])("%j", (t, want) => expect(parseBootstrapToken(t)).toEqual(want));
});

describe("digests and comparison", () => {
  it("hashes as sha256sum does", async () => {
    expect(await sha256Hex("test-admin-token")).toBe("17d6bfe05d1b1fb7bc499f8e3f639c7b3eda4c40f321eef8887a0c04c89a99c5");
  });
  it.each([
    ["a", "a", true],
    ["", "", true],
    ["a", "b", false],
    ["a", "ab", false],
    ["ab", "a", false],
    ["", "a", false],
  ])("%j vs %j", (a, b, want) => expect(constantTimeEqual(a, b)).toBe(want));
});

describe("userFromBootstrapSecret", () => {
  it("authenticates a valid token", () => {
    expect(userFromBootstrapSecret(secret(good), "0123456789abcdef", NOW)).toEqual({ name: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] });
  });

  it("adds valid extra groups", () => {
    const s = secret({ ...good, "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token, system:bootstrappers:worker" });
    expect(userFromBootstrapSecret(s, "0123456789abcdef", NOW)?.groups).toEqual([
      "system:bootstrappers",
      "system:bootstrappers:kubeadm:default-node-token",
      "system:bootstrappers:worker",
      "system:authenticated",
    ]);
  });

  it("accepts stringData and a token without expiration", () => {
    const { expiration: _e, ...rest } = good;
    const s = { metadata: { name: "bootstrap-token-abcdef" }, type: "bootstrap.kubernetes.io/token", stringData: rest };
    expect(userFromBootstrapSecret(s, "0123456789abcdef", NOW)?.name).toBe("system:bootstrap:abcdef");
  });

  it.each([
    ["the wrong secret", secret(good), "0123456789abcdee"],
    ["an expired token", secret({ ...good, expiration: "2025-12-31T23:59:59Z" }), "0123456789abcdef"],
    ["an unparseable expiration", secret({ ...good, expiration: "tomorrow" }), "0123456789abcdef"],
    ["no authentication usage", secret({ ...good, "usage-bootstrap-authentication": "false" }), "0123456789abcdef"],
    ["a missing usage", secret({ "token-id": "abcdef", "token-secret": "0123456789abcdef" }), "0123456789abcdef"],
    ["the wrong type", secret(good, { type: "Opaque" }), "0123456789abcdef"],
    ["a name that does not match the id", secret(good, { metadata: { name: "bootstrap-token-zzzzzz" } }), "0123456789abcdef"],
    ["a deleted secret", secret(good, { metadata: { name: "bootstrap-token-abcdef", deletionTimestamp: "2026-01-01T00:00:00Z" } }), "0123456789abcdef"],
    ["an invalid extra group", secret({ ...good, "auth-extra-groups": "system:masters" }), "0123456789abcdef"],
  ])("refuses %s", (_what, s, tokenSecret) => {
    expect(userFromBootstrapSecret(s, tokenSecret, NOW)).toBeUndefined();
  });
});
