import { serviceAccountClaims, signJwt } from "../auth/jwt";
import type { Attributes } from "../auth/request-attributes";
import { rfc3339, type Clock } from "../lib/clock";
import { API_AUDIENCE } from "./auth";
import { bodyFormat, decodeBody, readBody } from "./body";
import type { ApiContext } from "./context";
import type { ResourcePath } from "./paths";
import { errors } from "./status";
import { requestContext, storeFor, unwrap } from "./store-client";

type Obj = Record<string, any>;

/** Tokens live one hour unless asked otherwise; upstream refuses less than ten minutes. */
const DEFAULT_TOKEN_SECONDS = 3600;
const MIN_TOKEN_SECONDS = 600;

async function bodyObject(c: ApiContext): Promise<Obj> {
  const format = bodyFormat(c.req.header("content-type"));
  if (format !== "json" && format !== "yaml" && format !== "protobuf") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const v = decodeBody(await readBody(c.req.raw), format);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.badRequest("the body of the request must be an object");
  return v as Obj;
}

function created(body: Obj): Response {
  return new Response(JSON.stringify(body), { status: 201, headers: { "content-type": "application/json" } });
}

/** POST selfsubjectreviews: who the caller is (`kubectl auth whoami`). Answered here, no store round trip. */
export async function selfSubjectReview(c: ApiContext): Promise<Response> {
  await bodyObject(c);
  const user = c.get("user");
  const userInfo: Obj = { username: user.name, groups: user.groups };
  if (user.uid) userInfo.uid = user.uid;
  if (user.extra && Object.keys(user.extra).length) userInfo.extra = user.extra;
  return created({ kind: "SelfSubjectReview", apiVersion: "authentication.k8s.io/v1", metadata: { creationTimestamp: null }, status: { userInfo } });
}

/** The attributes a SelfSubjectAccessReview asks about. */
function reviewAttributes(spec: Obj): Attributes {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if (r && n) throw errors.invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [{ reason: "FieldValueInvalid", field: "spec.resourceAttributes", message: "Invalid value: \"resourceAttributes\": cannot be specified in combination with nonResourceAttributes" }]);
  if (r) {
    return { verb: r.verb ?? "", apiGroup: r.group ?? "", apiVersion: r.version ?? "", resource: r.resource ?? "", subresource: r.subresource ?? "", namespace: r.namespace ?? "", name: r.name ?? "", resourceRequest: true, path: "" };
  }
  if (n) return { verb: n.verb ?? "", apiGroup: "", apiVersion: "", resource: "", subresource: "", namespace: "", name: "", resourceRequest: false, path: n.path ?? "" };
  throw errors.invalid("SelfSubjectAccessReview", "authorization.k8s.io", "", [
    { reason: "FieldValueRequired", field: "spec.resourceAttributes", message: "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified" },
  ]);
}

/** POST selfsubjectaccessreviews (`kubectl auth can-i`). */
export async function selfSubjectAccessReview(c: ApiContext, p: ResourcePath): Promise<Response> {
  const review = await bodyObject(c);
  const spec = review.spec ?? {};
  const decision = unwrap(await storeFor(c.env).review(requestContext(c, p), reviewAttributes(spec)));
  const status: Obj = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return created({ kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec, status });
}

/** POST selfsubjectrulesreviews (`kubectl auth can-i --list`). */
export async function selfSubjectRulesReview(c: ApiContext, p: ResourcePath): Promise<Response> {
  const review = await bodyObject(c);
  const spec = review.spec ?? {};
  const rules = unwrap(await storeFor(c.env).rules(requestContext(c, p), spec.namespace ?? ""));
  return created({ kind: "SelfSubjectRulesReview", apiVersion: "authorization.k8s.io/v1", metadata: { creationTimestamp: null }, spec, status: rules });
}

/** POST serviceaccounts/<name>/token (`kubectl create token`): a signed, expiring token. */
export async function tokenRequest(c: ApiContext, p: ResourcePath, clock: Clock): Promise<Response> {
  const req = await bodyObject(c);
  const spec = req.spec ?? {};
  const seconds = spec.expirationSeconds ?? DEFAULT_TOKEN_SECONDS;
  if (!Number.isInteger(seconds) || seconds < MIN_TOKEN_SECONDS || seconds > 2 ** 32) {
    throw errors.invalid("TokenRequest", "authentication.k8s.io", p.name!, [
      { reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${seconds}: may not specify a duration less than 10 minutes` },
    ]);
  }
  const audiences: string[] = spec.audiences?.length ? spec.audiences : [API_AUDIENCE];
  const key = c.env.SIGNING_KEY;
  if (!key) throw errors.internal("no signing key is configured");
  const uid = unwrap(await storeFor(c.env).serviceAccountUid(requestContext(c, p), p.namespace!, p.name!));
  const now = clock.now();
  const token = await signJwt(serviceAccountClaims({ namespace: p.namespace!, name: p.name!, uid, audiences, expirationSeconds: seconds, now }), JSON.parse(key));
  return created({
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds: seconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: rfc3339(now + seconds * 1000) },
  });
}
