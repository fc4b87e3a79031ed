/**
 * Throwaway certificates for tests of the agent's HTTPS client and of joining: a CA and a leaf
 * it signed (SANs localhost and 127.0.0.1), made with openssl in a temp folder, and HTTPS
 * servers that present the leaf alone or the leaf and the CA.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  caPem: string;
  leafPem: string;
  leafKeyPem: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA (CN `cn`) and a serving certificate signed by it, for localhost and 127.0.0.1 unless `sans` says otherwise. */
export function makeTestPki(cn = "test-ca", sans = "DNS:localhost,IP:127.0.0.1"): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "agent-pki-"));
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", `/CN=${cn}`], dir);
    writeFileSync(join(dir, "leaf.ext"), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`);
    openssl(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=test-server"], dir);
    openssl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.crt", "-days", "2", "-extfile", "leaf.ext"], dir);
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    return { caPem: read("ca.crt"), leafPem: read("leaf.crt"), leafKeyPem: read("leaf.key") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestServer {
  url: string;
  port: number;
  server: Server;
  /** Requests received so far (method and URL). */
  requests: { method: string; url: string; authorization?: string; contentType?: string; body: string }[];
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 with the given certificate chain (PEM, leaf first). `handle`
 * answers each request after its body was read.
 */
export async function startTestServer(chainPem: string, keyPem: string, handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = createServer({ cert: chainPem, key: keyPem }, (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, contentType: req.headers["content-type"], body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    server,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
