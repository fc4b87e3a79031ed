import { stringify as stringifyYaml } from "yaml";
import type { ApiContext } from "./context";
import { toTable, type IncludeObject } from "../resources/printers";
import { apiVersionOf, type ResourceType } from "../resources/registry";
import type { ListResult } from "../store/objects";
import { negotiate, TABLE_CONTENT_TYPE } from "./negotiate";
import type { ResourcePath } from "./paths";
import { boolParam, intParam } from "./query";
import { errors } from "./status";
import { clientFor } from "./store-client";
import { tableWatchTransform } from "./watch-stream";
import type { Clock } from "../lib/clock";

type Ctx = ApiContext;

function includeObjectOf(url: URL): IncludeObject {
  const v = url.searchParams.get("includeObject");
  if (v === null || v === "") return "Metadata";
  if (v === "None" || v === "Metadata" || v === "Object") return v;
  throw errors.badRequest(`includeObject: unsupported value "${v}"`);
}

function jsonResponse(body: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", ...extra } });
}

/** JSON, or YAML when the client asked for application/yaml. */
function objectResponse(c: Ctx, json: string): Response {
  if (negotiate(c.req.header("accept")).yaml) {
    return new Response(stringifyYaml(JSON.parse(json)), { headers: { "content-type": "application/yaml" } });
  }
  return jsonResponse(json);
}

/** GET of one object, as JSON or a one-row Table. */
export async function getObject(c: Ctx, p: ResourcePath, clock: Clock): Promise<Response> {
  const json = await clientFor(c, p).get(p.namespace ?? "", p.name!);
  const url = new URL(c.req.url);
  if (negotiate(c.req.header("accept")).table) {
    const table = toTable(p.rt, [JSON.parse(json)], { includeObject: includeObjectOf(url), now: new Date(clock.now()) });
    return jsonResponse(JSON.stringify(table), 200, { "content-type": TABLE_CONTENT_TYPE });
  }
  return objectResponse(c, json);
}

function listJson(rt: ResourceType, res: ListResult): string {
  const meta: Record<string, unknown> = { resourceVersion: res.resourceVersion };
  if (res.continue) meta.continue = res.continue;
  if (res.remainingItemCount !== undefined) meta.remainingItemCount = res.remainingItemCount;
  return `{"kind":"${rt.kind}List","apiVersion":"${apiVersionOf(rt)}","metadata":${JSON.stringify(meta)},"items":[${res.items.join(",")}]}`;
}

/** LIST, honouring selectors and pagination; items are spliced in without re-encoding. */
export async function listObjects(c: Ctx, p: ResourcePath, clock: Clock): Promise<Response> {
  const url = new URL(c.req.url);
  const q = url.searchParams;
  const res = await clientFor(c, p).list(p.namespace, {
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
    limit: intParam(url, "limit"),
    continue: q.get("continue") || undefined,
  });
  if (negotiate(c.req.header("accept")).table) {
    const table = toTable(
      p.rt,
      res.items.map((i) => JSON.parse(i)),
      { includeObject: includeObjectOf(url), now: new Date(clock.now()), listMeta: { resourceVersion: res.resourceVersion, continue: res.continue } },
    );
    return jsonResponse(JSON.stringify(table), 200, { "content-type": TABLE_CONTENT_TYPE });
  }
  return objectResponse(c, listJson(p.rt, res));
}

/** WATCH: newline-delimited events streamed straight from the store (as Table rows when asked). */
export async function watchObjects(c: Ctx, p: ResourcePath, clock: Clock): Promise<Response> {
  const url = new URL(c.req.url);
  const q = url.searchParams;
  let fieldSelector = q.get("fieldSelector") ?? undefined;
  if (p.name) fieldSelector = [fieldSelector, `metadata.name=${p.name}`].filter(Boolean).join(",");
  const stream = await clientFor(c, p).watch({
    namespace: p.namespace,
    resourceVersion: q.get("resourceVersion") ?? undefined,
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector,
    allowWatchBookmarks: boolParam(url, "allowWatchBookmarks"),
    sendInitialEvents: boolParam(url, "sendInitialEvents"),
    timeoutSeconds: intParam(url, "timeoutSeconds"),
  });
  // "identity" keeps the edge (and Miniflare, which copies it) from gzipping the stream, which
  // would hold events back until a compression block fills.
  const headers = { "content-type": "application/json", "cache-control": "no-cache, private", "x-content-type-options": "nosniff", "content-encoding": "identity" };
  if (negotiate(c.req.header("accept")).table) {
    const body = stream.pipeThrough(tableWatchTransform(p.rt, includeObjectOf(url), clock));
    return new Response(body, { headers: { ...headers, "content-type": TABLE_CONTENT_TYPE } });
  }
  return new Response(stream, { headers });
}
