import { createHmac } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  base64url,
  generateSigningKey,
  nodeCredentialClaims,
  publicJwk,
  serviceAccountClaims,
  signJwt,
  userFromNodeClaims,
  userFromServiceAccountClaims,
  verifyJwt,
} from "../../src/auth/jwt";

const AUD = "https://kubernetes.default.svc.cluster.local";
const NOW = Date.UTC(2026, 0, 1);
const enc = (o: unknown) => base64url(new TextEncoder().encode(JSON.stringify(o)));

let key: Awaited<ReturnType<typeof generateSigningKey>>;
let token: string;
const claims = () => serviceAccountClaims({ namespace: "a", name: "builder", uid: "sa-uid", audiences: [AUD], expirationSeconds: 3600, now: NOW, jti: "id-1", pod: { name: "web", uid: "pod-uid" } });

beforeAll(async () => {
  key = await generateSigningKey();
  token = await signJwt(claims(), key);
});

describe("generateSigningKey", () => {
  it("makes a private P-256 JWK with a key id", () => {
    expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(key.d).toBeTruthy();
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicJwk(key)).not.toHaveProperty("d");
  });
});

describe("verifyJwt", () => {
  const opts = (o: Partial<Parameters<typeof verifyJwt>[2]> = {}) => ({ audience: AUD, now: NOW + 1000, ...o });

  it("accepts a valid token with the public or the private key", async () => {
    expect((await verifyJwt(token, publicJwk(key), opts())).claims).toEqual(claims());
    expect((await verifyJwt(token, key, opts({ audience: ["other", AUD] }))).claims?.sub).toBe("system:serviceaccount:a:builder");
  });

  it("carries the upstream claim set", () => {
    expect(claims()).toEqual({
      aud: [AUD],
      exp: NOW / 1000 + 3600,
      iat: NOW / 1000,
      nbf: NOW / 1000,
      iss: "https://kubernetes.default.svc.cluster.local",
      jti: "id-1",
      sub: "system:serviceaccount:a:builder",
      "kubernetes.io": { namespace: "a", serviceaccount: { name: "builder", uid: "sa-uid" }, pod: { name: "web", uid: "pod-uid" } },
      "flotilla.dev/token-type": "serviceaccount",
    });
  });

  it("rejects an expired token and one not yet valid", async () => {
    expect((await verifyJwt(token, key, opts({ now: NOW + 3600_000 + 61_000 }))).error).toBe("token has expired");
    expect((await verifyJwt(token, key, opts({ now: NOW + 3600_000 + 30_000 }))).claims).toBeDefined(); // within the leeway
    expect((await verifyJwt(token, key, opts({ now: NOW + 3601_000, leewaySeconds: 0 }))).error).toBe("token has expired");
    const early = await signJwt({ ...claims(), nbf: NOW / 1000 + 600, iat: NOW / 1000 }, key);
    expect((await verifyJwt(early, key, opts())).error).toBe("token is not valid yet");
    const noExp = await signJwt({ ...claims(), exp: undefined }, key);
    expect((await verifyJwt(noExp, key, opts())).error).toBe("token has no expiry");
  });

  it("rejects the wrong audience and issuer", async () => {
    expect((await verifyJwt(token, key, opts({ audience: "https://other" }))).error).toBe("token audiences are invalid");
    expect((await verifyJwt(token, key, opts({ issuer: "https://elsewhere" }))).error).toBe("token has an unexpected issuer");
  });

  it("rejects alg none", async () => {
    const [, payload] = token.split(".");
    expect((await verifyJwt(`${enc({ alg: "none", typ: "JWT" })}.${payload}.`, key, opts())).error).toBe("malformed token");
    expect((await verifyJwt(`${enc({ alg: "none", typ: "JWT" })}.${payload}.AAAA`, key, opts())).error).toBe('unsupported signing algorithm "none"');
  });

  it("rejects HS256 signed with the public key as the secret", async () => {
    const header = enc({ alg: "HS256", typ: "JWT", kid: key.kid });
    const payload = token.split(".")[1];
    const secret = JSON.stringify(publicJwk(key));
    const sig = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
    expect((await verifyJwt(`${header}.${payload}.${sig}`, publicJwk(key), opts())).error).toBe('unsupported signing algorithm "HS256"');
  });

  it("rejects a changed payload or signature, and another key", async () => {
    const [h, , s] = token.split(".");
    const forged = enc({ ...claims(), sub: "system:serviceaccount:kube-system:admin" });
    expect((await verifyJwt(`${h}.${forged}.${s}`, key, opts())).error).toBe("invalid token signature");
    const flipped = s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11);
    expect((await verifyJwt(`${h}.${token.split(".")[1]}.${flipped}`, key, opts())).error).toBe("invalid token signature");
    const other = await generateSigningKey();
    expect((await verifyJwt(token, { ...publicJwk(other), kid: undefined }, opts())).error).toBe("invalid token signature");
    expect((await verifyJwt(token, publicJwk(other), opts())).error).toBe("token signed by an unknown key");
  });

  it.each([
    ["", "malformed token"],
    ["abc", "malformed token"],
    ["a.b", "malformed token"],
    ["a.b.c.d", "malformed token"],
    ["!!!.e30.AAAA", "malformed token header"],
    [`${enc([1])}.e30.AAAA`, "malformed token header"],
    [`${enc({ alg: "ES256" })}.e30.***`, "malformed token signature"],
    [`${enc({ alg: "ES256" })}.e30.AAAA`, "invalid token signature"],
  ])("rejects malformed %j", async (t, error) => {
    expect((await verifyJwt(t, key, opts())).error).toBe(error);
  });

  it("rejects a signed payload that is not an object", async () => {
    // Sign a header and a non-object payload by hand with the real key.
    const header = enc({ alg: "ES256", typ: "JWT" });
    const payload = base64url(new TextEncoder().encode("[1,2]"));
    const k = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: key.x, y: key.y, d: key.d }, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, k, new TextEncoder().encode(`${header}.${payload}`)));
    expect((await verifyJwt(`${header}.${payload}.${base64url(sig)}`, key, opts())).error).toBe("malformed token payload");
  });
});

describe("users from claims", () => {
  it("maps a service-account token to its user", () => {
    expect(userFromServiceAccountClaims(claims())).toEqual({
      name: "system:serviceaccount:a:builder",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:a", "system:authenticated"],
      extra: {
        "authentication.kubernetes.io/pod-name": ["web"],
        "authentication.kubernetes.io/pod-uid": ["pod-uid"],
        "authentication.kubernetes.io/credential-id": ["JTI=id-1"],
      },
    });
  });

  it("maps a node credential to its user", () => {
    const c = nodeCredentialClaims({ nodeName: "n1", audiences: [AUD], expirationSeconds: 600, now: NOW, jti: "j" });
    expect(c).toMatchObject({ sub: "system:node:n1", "flotilla.dev/token-type": "node", exp: NOW / 1000 + 600 });
    expect(userFromNodeClaims(c)).toMatchObject({ name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] });
  });

  it("never lets one kind of token pass as the other", () => {
    const sa = claims();
    const node = nodeCredentialClaims({ nodeName: "n1", audiences: [AUD], expirationSeconds: 600, now: NOW });
    expect(userFromNodeClaims(sa)).toBeUndefined();
    expect(userFromServiceAccountClaims(node)).toBeUndefined();
    // A service-account claim set with a node-like subject is still not a node.
    expect(userFromNodeClaims({ ...sa, sub: "system:node:n1" })).toBeUndefined();
    // An inconsistent subject is refused.
    expect(userFromServiceAccountClaims({ ...sa, sub: "system:serviceaccount:kube-system:admin" })).toBeUndefined();
    expect(userFromServiceAccountClaims({ ...sa, "flotilla.dev/token-type": undefined })).toBeUndefined();
  });
});
