/**
 * The httpGet probe handler, as the kubelet runs it: GET with `kube-probe/1.32` as User-Agent,
 * no certificate check for HTTPS, redirects followed only while they stay on the same host (at
 * most 10), 200–399 healthy. A redirect to another host is not followed and counts as healthy
 * with a warning.
 */
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { dialError, joinHostPort, MAX_PROBE_OUTPUT, PROBE_USER_AGENT } from "./probes-net";
import type { ProbeOutcome, ProbeTimers } from "./probes-types";

export interface HttpGetAction {
  scheme?: string;
  path?: string;
  httpHeaders?: { name: string; value: string }[];
}

const FOLLOWED = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** Runs one httpGet probe against `host:port` within `timeoutMs`; never rejects. */
export function httpGetProbe(action: HttpGetAction, host: string, port: number, timeoutMs: number, timers: ProbeTimers): Promise<ProbeOutcome> {
  const scheme = (action.scheme ?? "HTTP").toLowerCase() === "https" ? "https" : "http";
  const path = action.path ? (action.path.startsWith("/") ? action.path : `/${action.path}`) : "/";
  const first = new URL(`${scheme}://${joinHostPort(host, port)}${path}`);
  const headers = probeHeaders(action.httpHeaders ?? []);

  return new Promise((resolve) => {
    let settled = false;
    let current: ClientRequest | undefined;
    let url = first;
    let phase: "headers" | "body" = "headers";
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      current?.destroy();
      resolve(outcome);
    };
    const timer = timers.setTimeout(() => {
      const why = phase === "headers" ? "Client.Timeout exceeded while awaiting headers" : "Client.Timeout or context cancellation while reading body";
      finish({ result: "failure", output: `Get ${JSON.stringify(url.href)}: context deadline exceeded (${why})` });
    }, timeoutMs);

    const send = (target: URL, redirects: number) => {
      url = target;
      phase = "headers";
      const req = (target.protocol === "https:" ? httpsRequest : httpRequest)({
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port || (target.protocol === "https:" ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: "GET",
        headers,
        agent: false,
        rejectUnauthorized: false,
      });
      current = req;
      req.on("error", (err: NodeJS.ErrnoException) => {
        const addr = joinHostPort(target.hostname.replace(/^\[|\]$/g, ""), Number(target.port || (target.protocol === "https:" ? 443 : 80)));
        const text = err.message === "socket hang up" ? "EOF" : err.syscall === "connect" || err.code === "ENOTFOUND" ? dialError(addr, err, target.hostname) : err.message;
        finish({ result: "failure", output: `Get ${JSON.stringify(target.href)}: ${text}` });
      });
      req.on("response", (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (FOLLOWED.has(status) && location) {
          const next = safeUrl(location, target);
          if (next && next.hostname === first.hostname) {
            res.resume();
            req.destroy();
            if (redirects + 1 > MAX_REDIRECTS) finish({ result: "failure", output: `Get ${JSON.stringify(next.href)}: stopped after ${MAX_REDIRECTS} redirects` });
            else send(next, redirects + 1);
            return;
          }
        }
        phase = "body";
        readBody(res, (body) => finish(classify(status, body)));
      });
      req.end();
    };
    send(first, 0);
  });
}

function classify(status: number, body: string): ProbeOutcome {
  if (status >= 200 && status < 300) return { result: "success", output: body };
  if (status >= 300 && status < 400) return { result: "warning", output: `Probe terminated redirects, Response body: ${body}` };
  // The body stays out of the message: it may hold anything, and events are widely readable.
  return { result: "failure", output: `HTTP probe failed with statuscode: ${status}` };
}

/** Reads at most MAX_PROBE_OUTPUT bytes of the body, then hangs up. */
function readBody(res: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const end = () => done(Buffer.concat(chunks).subarray(0, MAX_PROBE_OUTPUT).toString("utf8"));
  res.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_PROBE_OUTPUT) {
      res.destroy();
      end();
    }
  });
  res.on("end", end);
  res.on("error", end);
}

function safeUrl(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

/**
 * The user's headers, plus User-Agent and Accept unless the user set them; an Accept set to
 * the empty string means "send none". A Host header is honoured, as it sets the virtual host.
 */
function probeHeaders(list: { name: string; value: string }[]): OutgoingHttpHeaders {
  const headers: Record<string, string[]> = {};
  for (const { name, value } of list) (headers[name.toLowerCase()] ??= []).push(value);
  const out: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(headers)) out[name] = name === "host" ? values[0] : values.length === 1 ? values[0] : values;
  if (out["user-agent"] === undefined) out["user-agent"] = PROBE_USER_AGENT;
  if (out.accept === undefined) out.accept = "*/*";
  else if (headers.accept.every((v) => v === "")) delete out.accept;
  out.connection = "close";
  return out;
}
