/**
 * POST /apis/flotilla.dev/v1/nodecredentialrequests: a joining machine trades its bootstrap
 * token for a node credential (a signed token for user system:node:<name>, group system:nodes),
 * and a node trades its current credential for a fresh one. Like upstream's TokenRequest it is
 * answered, never stored. It takes the place of kubelet's CSR flow.
 */
import { nodeCredentialClaims, signJwt } from "../auth/jwt";
import { nodeIdentity } from "../auth/node-authorizer";
import { forbiddenError } from "../auth/rbac";
import { rfc3339, type Clock } from "../lib/clock";
import { isDNS1123Subdomain } from "../lib/names";
import { API_AUDIENCE } from "./auth";
import { bodyFormat, decodeBody, readBody } from "./body";
import type { ApiContext } from "./context";
import { errors, type StatusCause } from "./status";
import { requestContext, storeFor, unwrap } from "./store-client";

export const NODE_CREDENTIAL_GROUP = "flotilla.dev";
export const NODE_CREDENTIAL_VERSION = "v1";
export const NODE_CREDENTIAL_KIND = "NodeCredentialRequest";
export const NODE_CREDENTIAL_RESOURCE = "nodecredentialrequests";
export const NODE_CREDENTIAL_PATH = `/apis/${NODE_CREDENTIAL_GROUP}/${NODE_CREDENTIAL_VERSION}/${NODE_CREDENTIAL_RESOURCE}`;

/** A node credential lives a year unless asked otherwise; upstream's token floor is ten minutes. */
export const DEFAULT_CREDENTIAL_SECONDS = 365 * 24 * 3600;
export const MIN_CREDENTIAL_SECONDS = 600;
const MAX_CREDENTIAL_SECONDS = 2 ** 32;

type Obj = Record<string, any>;

async function requestBody(c: ApiContext): Promise<Obj> {
  const format = bodyFormat(c.req.header("content-type"));
  if (format !== "json" && format !== "yaml") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const v = decodeBody(await readBody(c.req.raw), format);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.badRequest("the body of the request must be an object");
  const apiVersion = `${NODE_CREDENTIAL_GROUP}/${NODE_CREDENTIAL_VERSION}`;
  const obj = v as Obj;
  if (obj.apiVersion !== apiVersion) throw errors.badRequest(`the API version in the data (${obj.apiVersion ?? ""}) does not match the expected API version (${apiVersion})`);
  if (obj.kind !== NODE_CREDENTIAL_KIND) throw errors.badRequest(`the kind in the data (${obj.kind ?? ""}) does not match the expected kind (${NODE_CREDENTIAL_KIND})`);
  return obj;
}

/** The node name and lifetime asked for; 422 with upstream-style causes when they are not usable. */
export function validateSpec(spec: unknown): { nodeName: string; expirationSeconds: number } {
  const s: Obj = spec && typeof spec === "object" && !Array.isArray(spec) ? (spec as Obj) : {};
  const causes: StatusCause[] = [];
  const nodeName = s.nodeName;
  if (nodeName === undefined || nodeName === "") causes.push({ reason: "FieldValueRequired", field: "spec.nodeName", message: "Required value" });
  else if (typeof nodeName !== "string") causes.push({ reason: "FieldValueInvalid", field: "spec.nodeName", message: `Invalid value: ${JSON.stringify(nodeName)}: must be a string` });
  else for (const m of isDNS1123Subdomain(nodeName)) causes.push({ reason: "FieldValueInvalid", field: "spec.nodeName", message: `Invalid value: ${JSON.stringify(nodeName)}: ${m}` });
  const seconds = s.expirationSeconds ?? DEFAULT_CREDENTIAL_SECONDS;
  if (!Number.isInteger(seconds) || seconds < MIN_CREDENTIAL_SECONDS) {
    causes.push({ reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${JSON.stringify(seconds)}: may not specify a duration less than 10 minutes` });
  } else if (seconds > MAX_CREDENTIAL_SECONDS) {
    causes.push({ reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: `Invalid value: ${seconds}: may not specify a duration larger than 2^32 seconds` });
  }
  if (causes.length) throw errors.invalid(NODE_CREDENTIAL_KIND, NODE_CREDENTIAL_GROUP, typeof nodeName === "string" ? nodeName : "", causes);
  return { nodeName: nodeName as string, expirationSeconds: seconds as number };
}

/**
 * Issues a node credential. A node may renew only its own; anyone else needs RBAC `create` on
 * nodecredentialrequests.flotilla.dev (system:node-bootstrapper grants it to bootstrap tokens).
 *
 * @example app.post(NODE_CREDENTIAL_PATH, (c) => nodeCredentialRequest(c, clock))
 */
export async function nodeCredentialRequest(c: ApiContext, clock: Clock): Promise<Response> {
  const user = c.get("user");
  const ctx = requestContext(c);
  const self = nodeIdentity(user);
  // Authorization comes before the body is looked at, except for a node, whose right depends on the name it asks for.
  if (self === undefined) unwrap(await storeFor(c.env).review(ctx, ctx.attrs));
  const req = await requestBody(c);
  const { nodeName, expirationSeconds } = validateSpec(req.spec);
  if (self !== undefined && self !== nodeName) throw forbiddenError(ctx.attrs, user, `a node may only request a credential for itself`);
  const key = c.env.SIGNING_KEY;
  if (!key) throw errors.internal("no signing key is configured");
  const now = clock.now();
  const token = await signJwt(nodeCredentialClaims({ nodeName, audiences: [API_AUDIENCE], expirationSeconds, now }), JSON.parse(key));
  const body = {
    ...req,
    metadata: { ...(req.metadata && typeof req.metadata === "object" ? req.metadata : {}), creationTimestamp: rfc3339(now) },
    spec: { ...req.spec, nodeName, expirationSeconds },
    status: { token, expirationTimestamp: rfc3339(now + expirationSeconds * 1000) },
  };
  return new Response(JSON.stringify(body), { status: 201, headers: { "content-type": "application/json" } });
}
