/**
 * Drives the real kubectl against a tiny HTTP server that serves our OpenAPI v3 documents and a
 * minimal aggregated discovery, to prove `kubectl explain` can read them.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESOURCE_TYPES } from "../../src/resources/registry";
import { openapiV3Document, openapiV3Index } from "../../src/schema/openapi";

const KUBECTL = "/usr/bin/kubectl";
const run = promisify(execFile);
const DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

function discovery(core: boolean): unknown {
  const groups = new Map<string, Map<string, unknown[]>>();
  for (const rt of RESOURCE_TYPES) {
    if ((rt.group === "") !== core) continue;
    const versions = groups.get(rt.group) ?? new Map<string, unknown[]>();
    groups.set(rt.group, versions);
    const resources = versions.get(rt.version) ?? [];
    versions.set(rt.version, resources);
    resources.push({
      resource: rt.resource,
      singularResource: rt.singular,
      scope: rt.namespaced ? "Namespaced" : "Cluster",
      responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
      verbs: rt.verbs,
      shortNames: rt.shortNames,
      categories: rt.categories,
    });
  }
  const items = [...groups].map(([name, versions]) => ({
    metadata: { name },
    versions: [...versions].map(([version, resources]) => ({ version, resources, freshness: "Current" })),
  }));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}

const LIVE_PATH = "/apis/apps/v1/namespaces/default/deployments/web";

function manifest(containers: { name: string; image: string }[]): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers } } },
  };
}

/** The live Deployment the apply test patches: applied earlier with one container. */
function liveDeployment(): Record<string, unknown> {
  const applied = manifest([{ name: "nginx", image: "nginx:1.26" }]);
  const live = structuredClone(applied) as { metadata: Record<string, unknown> };
  live.metadata.annotations = { "kubectl.kubernetes.io/last-applied-configuration": `${JSON.stringify(applied)}\n` };
  live.metadata.resourceVersion = "7";
  live.metadata.uid = "d6f1c9c2-0000-4000-8000-000000000001";
  return live;
}

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly contentType?: string;
  readonly body: string;
}

function serve(recorded: Recorded[]): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let body = "";
    for await (const chunk of req) body += chunk;
    recorded.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
    const send = (status: number, payload: unknown, type = "application/json") => {
      res.writeHead(status, { "Content-Type": type });
      res.end(JSON.stringify(payload));
    };
    if (url.pathname === LIVE_PATH) return send(200, liveDeployment());
    if (url.pathname === "/api" || url.pathname === "/apis") return send(200, discovery(url.pathname === "/api"), DISCOVERY_TYPE);
    if (url.pathname === "/openapi/v3") return send(200, openapiV3Index());
    if (url.pathname.startsWith("/openapi/v3/")) {
      const doc = openapiV3Document(url.pathname.slice("/openapi/v3/".length));
      if (doc) return send(200, doc);
    }
    send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
  });
}

describe.skipIf(!existsSync(KUBECTL))("kubectl explain against our OpenAPI v3", () => {
  let server: Server;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const recorded: Recorded[] = [];

  beforeAll(async () => {
    server = serve(recorded);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), "flotilla-explain-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:" + port + "'}}]",
        "users: [{name: u, user: {}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
      ].join("\n"),
    );
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, "cache") };
  });

  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const explain = async (...args: string[]) => (await run(KUBECTL, ["explain", ...args], { env, timeout: 30_000 })).stdout;

  it("explains a scalar field with its type", async () => {
    const out = await explain("deployment.spec.replicas");
    expect(out).toMatch(/GROUP:\s+apps/);
    expect(out).toMatch(/KIND:\s+Deployment/);
    expect(out).toMatch(/VERSION:\s+v1/);
    expect(out).toMatch(/FIELD:\s+replicas <integer>/);
  });

  it("explains a list of objects and its fields", async () => {
    const out = await explain("pods.spec.containers");
    expect(out).toMatch(/KIND:\s+Pod/);
    expect(out).toMatch(/FIELD:\s+containers <\[\]Container>/);
    expect(out).toMatch(/^\s+image\s+<string>/m);
    expect(out).toMatch(/^\s+ports\s+<\[\]ContainerPort>/m);
    expect(out).toMatch(/^\s+resources\s+<ResourceRequirements>/m);
    expect(out).toMatch(/^\s+name\s+<string> -required-/m);
  });

  it("explains a kind recursively, including special forms", async () => {
    const out = await explain("svc", "--recursive");
    expect(out).toMatch(/KIND:\s+Service/);
    expect(out).toMatch(/^\s+apiVersion\s+<string>/m);
    expect(out).toMatch(/^\s+metadata\s+<ObjectMeta>/m);
    expect(out).toMatch(/^\s+creationTimestamp\s+<string>/m);
    expect(out).toMatch(/^\s+labels\s+<map\[string\]string>/m);
    expect(out).toMatch(/^\s+ports\s+<\[\]ServicePort>/m);
    expect(out).toMatch(/^\s+targetPort\s+<IntOrString>/m);
    expect(out).toMatch(/^\s+clusterIPs\s+<\[\]string>/m);
    expect(out).toMatch(/^\s+sessionAffinityConfig\s+<SessionAffinityConfig>/m);
  });

  it("lets apply compute a strategic merge patch from the v3 schemas and send fieldValidation=Strict", async () => {
    const file = join(dir, "web.json");
    writeFileSync(file, JSON.stringify(manifest([{ name: "nginx", image: "nginx:1.27" }, { name: "sidecar", image: "busybox" }])));
    recorded.length = 0;
    const { stderr } = await run(KUBECTL, ["apply", "-f", file], { env, timeout: 30_000 });
    // A broken v3 schema makes kubectl warn and fall back to its compiled-in types.
    expect(stderr).not.toMatch(/openapi/i);
    expect(recorded.some((r) => r.url.startsWith("/openapi/v3/apis/apps/v1?hash="))).toBe(true);
    const patch = recorded.find((r) => r.method === "PATCH");
    expect(patch?.url).toContain("fieldValidation=Strict");
    expect(patch?.contentType).toBe("application/strategic-merge-patch+json");
    const spec = JSON.parse(patch?.body ?? "{}").spec.template.spec;
    expect(spec["$setElementOrder/containers"]).toEqual([{ name: "nginx" }, { name: "sidecar" }]);
  });
});
