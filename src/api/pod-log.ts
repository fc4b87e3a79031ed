/**
 * GET /api/v1/namespaces/<ns>/pods/<name>/log: upstream's log subresource, served by the pod's
 * node through its relay. The Worker checks everything it can (authorization, options, pod,
 * container, node) and then streams the agent's bytes through unchanged.
 */
import { rfc3339 } from "../lib/clock";
import { findResource } from "../resources/registry";
import { openNodeStream } from "../relay/node-streams";
import type { LogRequest } from "../relay/protocol";
import type { Result } from "../store/cluster-store";
import type { ApiContext } from "./context";
import { errors, StatusError, type StatusCause } from "./status";
import { refOf, requestContext, storeFor, unwrap } from "./store-client";

type Obj = Record<string, any>;

/** Where kubectl (and upstream's own tooling) names the container to use by default. */
export const DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container";

/** The parts of upstream's PodLogOptions that do not depend on the pod. */
export type LogOptions = Omit<LogRequest, "namespace" | "pod" | "podUid" | "container"> & { container: string };

/** Upstream's query booleans: only absence, "false" and "0" are false (even "follow=" is true). */
function boolOption(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== "0" && v.toLowerCase() !== "false";
}

function intOption(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d{1,18}$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

function timeOption(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(ms)) {
    throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)}: must be an RFC 3339 time`);
  }
  return rfc3339(ms);
}

/**
 * Decodes and validates the query as upstream does: undecodable values are 400, values out of
 * range 422 Invalid with upstream's causes.
 * @example parseLogOptions(new URLSearchParams("tailLines=10&follow=true"), "web")
 */
export function parseLogOptions(q: URLSearchParams, pod: string): LogOptions {
  const opts: LogOptions = {
    container: q.get("container") ?? "",
    follow: boolOption(q, "follow"),
    previous: boolOption(q, "previous"),
    timestamps: boolOption(q, "timestamps"),
  };
  const tailLines = intOption(q, "tailLines");
  const limitBytes = intOption(q, "limitBytes");
  const sinceSeconds = intOption(q, "sinceSeconds");
  const sinceTime = timeOption(q, "sinceTime");
  const causes: StatusCause[] = [];
  const invalid = (field: string, value: number, why: string) => causes.push({ reason: "FieldValueInvalid", field, message: `Invalid value: ${value}: ${why}` });
  if (tailLines !== undefined && tailLines < 0) invalid("tailLines", tailLines, "must be greater than or equal to 0");
  if (limitBytes !== undefined && limitBytes < 1) invalid("limitBytes", limitBytes, "must be greater than 0");
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    causes.push({ reason: "FieldValueForbidden", field: "", message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified" });
  } else if (sinceSeconds !== undefined && sinceSeconds < 1) invalid("sinceSeconds", sinceSeconds, "must be greater than 0");
  if (causes.length) throw errors.invalid("PodLogOptions", "", pod, causes);
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) opts.sinceTime = sinceTime;
  return opts;
}

const names = (list: Obj[] | undefined): string[] => (list ?? []).map((c) => c.name);

/**
 * The container a log request is for: the one asked for, which must exist in the pod; else the
 * only container, or the one the default-container annotation names; else upstream's 400.
 */
export function resolveContainer(pod: Obj, asked: string): string {
  const name = pod.metadata?.name ?? "";
  const spec = pod.spec ?? {};
  const containers = names(spec.containers);
  const all = [...containers, ...names(spec.initContainers), ...names(spec.ephemeralContainers)];
  if (asked) {
    if (!all.includes(asked)) throw errors.badRequest(`container ${asked} is not valid for pod ${name}`);
    return asked;
  }
  if (containers.length === 1) return containers[0];
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (typeof annotated === "string" && containers.includes(annotated)) return annotated;
  if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`;
  const init = names(spec.initContainers);
  if (init.length) message += ` or one of the init containers: [${init.join(" ")}]`;
  throw errors.badRequest(message);
}

/**
 * GET pods/<name>/log. Errors come in upstream's order: 403 (pods/log not allowed), 400 and 422
 * (options), 404 (pod), 400 (container, node), then the node's own answer; 503 when the node's
 * agent is not connected.
 */
export async function podLogs(c: ApiContext): Promise<Response> {
  const namespace = c.req.param("namespace") ?? "";
  const name = c.req.param("name") ?? "";
  const pods = findResource("", "v1", "pods")!;
  const ctx = requestContext(c, { rt: pods, namespace, name, subresource: "log" });
  // Reading the pod as a pods/log request is the authorization check, as upstream's log REST does.
  const read = (await storeFor(c.env).get(refOf(pods), namespace, name, ctx)) as Result<string>;
  if (!read.ok && (read.status.code === 401 || read.status.code === 403)) throw StatusError.fromStatus(read.status);
  const opts = parseLogOptions(new URL(c.req.url).searchParams, name);
  const pod: Obj = JSON.parse(unwrap(read));
  const container = resolveContainer(pod, opts.container);
  const node: string | undefined = pod.spec?.nodeName;
  if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const request: LogRequest = { ...opts, namespace, pod: name, podUid: pod.metadata?.uid ?? "", container };
  const body = await openNodeStream(c.env, node, "logs", request);
  // "identity" keeps Miniflare and the edge from gzipping the stream, which would hold lines back.
  return new Response(body, { headers: { "content-type": "text/plain", "cache-control": "no-cache, private", "content-encoding": "identity" } });
}
