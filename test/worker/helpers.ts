import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

export const ADMIN_TOKEN = "test-admin-token";

export interface Call {
  method?: string;
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string | null;
  raw?: BodyInit;
}

/**
 * Sends a request through the Worker (and so into the cluster object) as the admin. The Worker's
 * handler is called in this isolate with the real bindings: the test pool's own entry point
 * (`exports.default.fetch`/`SELF`) gets slower with every request it has carried.
 */
export async function api(path: string, call: Call = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (call.token !== null) headers.authorization = `Bearer ${call.token ?? ADMIN_TOKEN}`;
  if (call.accept) headers.accept = call.accept;
  let body: BodyInit | undefined = call.raw;
  if (call.body !== undefined) {
    body = typeof call.body === "string" ? call.body : JSON.stringify(call.body);
    headers["content-type"] = call.contentType ?? "application/json";
  } else if (call.contentType) headers["content-type"] = call.contentType;
  const req = new Request(`https://flotilla.test${path}`, { method: call.method ?? (body ? "POST" : "GET"), headers, body });
  return worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext());
}

export async function json(path: string, call: Call = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await api(path, call);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export function configMap(name: string, namespace = "default", data: Record<string, string> = { a: "1" }, labels?: Record<string, string>) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

export function deployment(name: string, replicas = 1, image = "busybox:local") {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } },
    },
  };
}

/** Reads newline-delimited watch events until `count` arrived or the time runs out. */
export async function readEvents(res: Response, count: number, ms = 3000): Promise<any[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: any[] = [];
  let buf = "";
  const deadline = Date.now() + ms;
  while (events.length < count && Date.now() < deadline) {
    const next = await Promise.race([reader.read(), new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()))]);
    if (next.done) break;
    buf += decoder.decode(next.value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) events.push(JSON.parse(line));
    }
  }
  reader.cancel().catch(() => {});
  return events;
}
