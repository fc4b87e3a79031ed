import { Hono } from "hono";
import { systemClock, type Clock } from "../lib/clock";
import { openapiV3Document, openapiV3Index } from "../schema/openapi";
import { bearerAuth, type AuthVariables } from "./auth";
import type { ApiContext } from "./context";
import { discoveryRoutes } from "./discovery";
import { parseResourcePath, type ResourcePath } from "./paths";
import { boolParam } from "./query";
import { selfSubjectAccessReview, selfSubjectReview, selfSubjectRulesReview, tokenRequest } from "./reviews";
import { getObject, listObjects, watchObjects } from "./read-handlers";
import { NODE_CREDENTIAL_PATH, nodeCredentialRequest } from "./node-credentials";
import { podLogs } from "./pod-log";
import { connectRelay, RELAY_CONNECT_PATH } from "../relay/agent-connect";
import { errors, StatusError } from "./status";
import { handleBinding, handleEviction, handleScale } from "./subresources";
import { createObject, deleteCollection, deleteObject, patchObject, replaceObject } from "./write-handlers";

type App = Hono<{ Bindings: Env; Variables: AuthVariables }>;

export interface AppOptions {
  clock?: Clock;
}

function statusResponse(e: StatusError): Response {
  return new Response(JSON.stringify(e.toStatus()), { status: e.code, headers: { "content-type": "application/json" } });
}

async function routeResource(c: ApiContext, p: ResourcePath, clock: Clock): Promise<Response> {
  const method = c.req.method;
  const url = new URL(c.req.url);
  const sub = p.subresource;
  if (p.rt.virtual) {
    if (method !== "POST" || p.name !== undefined) throw errors.methodNotAllowed(method, p.rt.resource);
    if (p.rt.resource === "selfsubjectreviews") return selfSubjectReview(c);
    if (p.rt.resource === "selfsubjectaccessreviews") return selfSubjectAccessReview(c, p);
    return selfSubjectRulesReview(c, p);
  }
  if (sub !== undefined) {
    const declared = p.rt.subresources.find((s) => s.name === sub);
    if (!declared || !p.name) throw errors.notFoundPath();
    if (sub === "scale") return handleScale(c, p);
    if (sub === "binding") return handleBinding(c, p, clock);
    if (sub === "eviction") return handleEviction(c, p);
    if (sub === "token") {
      if (method !== "POST") throw errors.methodNotAllowed(method, "serviceaccounts/token");
      return tokenRequest(c, p, clock);
    }
    if (sub === "status") {
      if (method === "GET") return getObject(c, p, clock);
      if (method === "PUT") return replaceObject(c, p);
      if (method === "PATCH") return patchObject(c, p);
    }
    throw errors.methodNotAllowed(method, `${p.rt.resource}/${sub}`);
  }
  if (p.name === undefined) {
    if (method === "GET") return boolParam(url, "watch") ? watchObjects(c, p, clock) : listObjects(c, p, clock);
    if (method === "POST") {
      if (p.rt.namespaced && p.namespace === undefined) throw errors.methodNotAllowed("POST", p.rt.resource);
      return createObject(c, p);
    }
    if (method === "DELETE") return deleteCollection(c, p);
    throw errors.methodNotAllowed(method, p.rt.resource);
  }
  if (method === "GET") return boolParam(url, "watch") ? watchObjects(c, p, clock) : getObject(c, p, clock);
  if (method === "PUT") return replaceObject(c, p);
  if (method === "PATCH") return patchObject(c, p);
  if (method === "DELETE") return deleteObject(c, p);
  throw errors.methodNotAllowed(method, p.rt.resource);
}

/**
 * The API server: authentication, discovery, OpenAPI, and the REST verbs on every served
 * resource. Errors become Kubernetes `Status` objects in exactly one place.
 *
 * @example export default { fetch: createApp().fetch }
 */
export function createApp(opts: AppOptions = {}): App {
  const clock = opts.clock ?? systemClock;
  const app: App = new Hono();
  app.onError((err) => {
    if (err instanceof StatusError) return statusResponse(err);
    console.error("unhandled error", err instanceof Error ? err.stack : String(err));
    return statusResponse(errors.internal("the server could not complete the request"));
  });
  app.notFound(() => statusResponse(errors.notFoundPath()));
  app.use("*", bearerAuth(clock));
  app.route("/", discoveryRoutes());
  app.get("/openapi/v3", (c) => c.json(openapiV3Index()));
  app.get("/openapi/v3/*", (c) => {
    const doc = openapiV3Document(new URL(c.req.url).pathname.slice("/openapi/v3/".length));
    if (!doc) throw errors.notFoundPath();
    return c.json(doc);
  });
  app.post(NODE_CREDENTIAL_PATH, (c) => nodeCredentialRequest(c, clock));
  app.all(NODE_CREDENTIAL_PATH, (c) => {
    throw errors.methodNotAllowed(c.req.method, "nodecredentialrequests.flotilla.dev");
  });
  app.get("/api/v1/namespaces/:namespace/pods/:name/log", (c) => podLogs(c));
  app.get(RELAY_CONNECT_PATH, (c) => connectRelay(c));
  app.all("*", async (c) => {
    const p = parseResourcePath(new URL(c.req.url).pathname);
    if (!p) throw errors.notFoundPath();
    return routeResource(c, p, clock);
  });
  return app;
}
