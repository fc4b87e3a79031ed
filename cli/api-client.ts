/**
 * A minimal client for the API server over HTTPS, trusting the CA from the kubeconfig. Failures
 * become CLIErrors carrying the server's Status message, never the request or its credential.
 */
import { request } from "node:https";
import { CLIError } from "./errors";
import type { ApiTarget } from "./kubeconfig";

/** Sends one JSON request as the kubeconfig's user and returns the parsed answer of a 2xx. */
export async function apiRequest(target: ApiTarget, method: string, path: string, body?: unknown): Promise<any> {
  const url = new URL(path, target.server);
  if (url.protocol !== "https:") throw new CLIError(`${target.path}: server ${target.server} is not an https:// URL`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { status, text } = await new Promise<{ status: number; text: string }>((done, fail) => {
    const req = request(
      url,
      {
        method,
        ca: target.caPem || undefined,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: "application/json",
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => done({ status: res.statusCode ?? 0, text }));
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e: NodeJS.ErrnoException) => fail(new CLIError(`cannot reach the API server at ${target.server}: ${e.code ?? e.message}`)));
    req.end(payload);
  });
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) return parsed;
  if (status === 401) throw new CLIError(`the API server at ${target.server} refused the credentials in ${target.path} (401 Unauthorized)`);
  const message = parsed?.kind === "Status" && typeof parsed.message === "string" ? parsed.message : `HTTP ${status}`;
  throw new CLIError(`${method} ${url.pathname} failed: ${message}`);
}
