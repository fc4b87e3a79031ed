/**
 * Services on a real node: `npm run bench:services` (needs root and a running containerd).
 * Prints (1) the time from a pod becoming Ready (seen through a watch) to its first answer
 * through the Service's ClusterIP, (2) the packet-filter rule-sync time for a Service with 100
 * endpoints, and (3) request throughput through the ClusterIP next to the same pods' IPs directly
 * (a new connection per request, so every request crosses the NAT rules).
 */
import { get, type Agent } from "node:http";
import { startServiceProxy } from "../agent/proxy/service-proxy";
import { staticCatalog, type EndpointEntry } from "../agent/services/catalog";
import { watchEvents } from "../test/sim/kube-client";
import { startBenchNode, waitFor } from "./node-kit";
import { table } from "./report";
import { percentile, round, sleep } from "./stats";

const NODE = "bench-svc";
const NAMESPACE = "flotilla-bench-svc";
const ROUNDS = 10;
const LOAD_SECONDS = 5;
const CONCURRENCY = 16;

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "echo" },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: "echo" } },
    template: {
      metadata: { labels: { app: "echo" } },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: "web",
            image: "busybox:local",
            command: ["sh", "-c", "mkdir -p /www && echo $HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www"],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    },
  },
};

/** One GET on a fresh connection; resolves with the body, or undefined on any failure. */
function fetchOnce(url: string, timeoutMs: number, agent?: Agent | false): Promise<string | undefined> {
  return new Promise((res) => {
    const req = get(url, { timeout: timeoutMs, agent: agent ?? false }, (r) => {
      let body = "";
      r.on("data", (d) => (body += d));
      r.on("end", () => res(r.statusCode === 200 ? body : undefined));
      r.on("error", () => res(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => res(undefined));
  });
}

async function requestsPerSecond(urls: string[]): Promise<{ rps: number; errors: number }> {
  let done = 0;
  let errors = 0;
  const until = performance.now() + LOAD_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      for (let n = i; performance.now() < until; n++) {
        const ok = await fetchOnce(urls[n % urls.length], 2_000);
        if (ok === undefined) errors++;
        else done++;
      }
    }),
  );
  return { rps: done / LOAD_SECONDS, errors };
}

async function scale(kube: Awaited<ReturnType<typeof startBenchNode>>["kube"], replicas: number): Promise<void> {
  const r = await kube.send("PATCH", "/apis/apps/v1/namespaces/default/deployments/echo/scale", { spec: { replicas } }, "application/merge-patch+json");
  if (r.status !== 200) throw new Error(`scale: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The rule-sync time of the node proxy for one Service with `n` endpoints, on this machine's packet filter. */
async function ruleSync(n: number): Promise<{ ms: number[]; rules: number }> {
  const endpoints: EndpointEntry[] = Array.from({ length: n }, (_, i) => ({
    addresses: [`10.244.250.${i + 2}`],
    ready: true,
    serving: true,
    terminating: false,
    nodeName: "bench-elsewhere",
    ports: [{ port: 8080, protocol: "TCP" }],
  }));
  const catalog = staticCatalog(
    [{ namespace: "default", name: "wide", type: "NodePort", clusterIPs: ["10.111.250.1"], headless: false, ports: [{ port: 80, protocol: "TCP", targetPort: 8080, nodePort: 31999 }], sessionAffinity: "None", affinityTimeoutSeconds: 10800, loadBalancerIPs: [], externalIPs: [] }],
    { "default/wide": endpoints },
  );
  const proxy = startServiceProxy({ catalog, nodeName: "bench-rules", nodeIPs: ["192.0.2.250"], podCIDR: "10.244.251.0/24", clusterCIDR: "10.244.0.0/16", chainPrefix: "bnch" });
  const ms: number[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      // Flip one endpoint each round, so every sync writes a changed rule set.
      catalog.set({ endpoints: { "default/wide": endpoints.map((e, j) => (j === i ? { ...e, ready: false } : e)) } });
      await proxy.syncNow();
      ms.push(proxy.lastSync!.durationMs);
    }
    return { ms, rules: proxy.lastSync!.rules };
  } finally {
    await proxy.stop({ cleanup: true });
  }
}

async function main(): Promise<void> {
  const bench = await startBenchNode(NODE, NAMESPACE);
  const { kube } = bench;
  const abort = new AbortController();
  try {
    let r = await kube.send("POST", "/apis/apps/v1/namespaces/default/deployments", deployment);
    if (r.status !== 201) throw new Error(`deployment: ${r.status} ${JSON.stringify(r.body)}`);
    r = await kube.send("POST", "/api/v1/namespaces/default/services", { apiVersion: "v1", kind: "Service", metadata: { name: "echo" }, spec: { selector: { app: "echo" }, ports: [{ port: 80, targetPort: 8080 }] } });
    if (r.status !== 201) throw new Error(`service: ${r.status} ${JSON.stringify(r.body)}`);
    const clusterIP: string = r.body.spec.clusterIP;
    const url = `http://${clusterIP}/`;

    // Pod Ready times, from one watch.
    const readyAt = new Map<string, number>();
    const ipOf = new Map<string, string>();
    void (async () => {
      const res = await kube.stream("/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Decho", abort.signal);
      try {
        for await (const e of watchEvents(res)) {
          const p = e.object;
          if (p.status?.podIP) ipOf.set(p.metadata.name, p.status.podIP);
          const ready = p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
          if (ready && !readyAt.has(p.metadata.name)) readyAt.set(p.metadata.name, performance.now());
        }
      } catch {
        // aborted at the end
      }
    })();

    const toFirstRequest: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = new Set(readyAt.keys());
      await scale(kube, 1);
      let answeredAt = 0;
      let answer = "";
      while (!answeredAt) {
        const body = await fetchOnce(url, 200);
        if (body) {
          answeredAt = performance.now();
          answer = body.trim();
        } else await sleep(5);
      }
      await waitFor(() => readyAt.has(answer) || [...readyAt.keys()].some((k) => !before.has(k)), 30_000, "the pod's Ready event");
      const pod = readyAt.has(answer) ? answer : [...readyAt.keys()].find((k) => !before.has(k))!;
      toFirstRequest.push(answeredAt - readyAt.get(pod)!);
      await scale(kube, 0);
      const deadline = performance.now() + 60_000;
      while (performance.now() < deadline) {
        const { body } = await kube.send("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Decho");
        if (body.items.length === 0) break;
        await sleep(100);
      }
    }

    const sync = await ruleSync(100);

    await scale(kube, 2);
    const readyBefore = readyAt.size;
    await waitFor(() => readyAt.size >= readyBefore + 2, 60_000, `two more Ready pods (seen ${readyAt.size}, before ${readyBefore})`);
    await sleep(1_500);
    const podIPs = [...readyAt.keys()].slice(-2).map((n) => `http://${ipOf.get(n)}:8080/`);
    const direct = await requestsPerSecond(podIPs);
    const viaService = await requestsPerSecond([url]);

    const p = (xs: number[], q: number) => round(percentile(xs, q));
    console.log(`\nServices on one real node (this machine), ${ROUNDS} rounds`);
    console.log(table(
      ["figure", "p50", "p99", "max"],
      [
        ["pod Ready (watch) → first answer through its ClusterIP, ms", p(toFirstRequest, 0.5), p(toFirstRequest, 0.99), round(Math.max(...toFirstRequest))],
        [`rule sync, one Service with 100 endpoints (${sync.rules} rules), ms`, p(sync.ms, 0.5), p(sync.ms, 0.99), round(Math.max(...sync.ms))],
      ],
    ));
    console.log(table(
      ["throughput, new connection per request, concurrency 16", "req/s", "errors"],
      [
        ["direct to the 2 pod IPs", round(direct.rps), direct.errors],
        ["through the ClusterIP (DNAT to the same 2 pods)", round(viaService.rps), viaService.errors],
        ["ClusterIP / direct", `${round((viaService.rps / direct.rps) * 100)}%`, ""],
      ],
    ));
    console.log("goal: rules follow EndpointSlice changes within a second");
  } finally {
    abort.abort();
    await bench.stop();
  }
}

await main();
