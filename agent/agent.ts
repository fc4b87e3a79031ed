import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Clock, systemClock } from "../src/lib/clock";
import { ApiClient } from "./api/client";
import { PodInformer } from "./api/pod-informer";
import { streamLog, logPathFor } from "./logs/read";
import { collectNodeFacts, type NodeFacts } from "./node/node-info";
import { startLeaseRenewal } from "./node/lease";
import { registerNode, type Taint, waitForPodCIDR } from "./node/registration";
import { startNodeStatus } from "./node/status-reporter";
import { podApiAdapter } from "./pods/api-adapter";
import { ImageIndex } from "./pods/image-index";
import { PodManager } from "./pods/pod-manager";
import { LABEL_NODE } from "./pods/labels";
import { PodRecordStore } from "./pods/pod-record";
import { RelayRequestError, startRelay, type LogRequest } from "./relay/relay-client";
import { Ctr } from "./runtime/ctr";
import { watchEvents } from "./runtime/events";
import { SandboxManager, type DnsSettings } from "./sandbox/sandbox-manager";
import { startClusterDns, DEFAULT_CLUSTER_DOMAIN } from "./dns/cluster-dns";
import { upstreamsFromResolvConf } from "./dns/upstream";
import { startPodRoutes } from "./proxy/routes";
import { startServiceProxy } from "./proxy/service-proxy";
import { startServiceCatalog } from "./services/catalog";

export interface AgentConfig {
  server: string;
  caPem?: string;
  token: string;
  nodeName: string;
  dataDir: string;
  containerdNamespace: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** The address other nodes and the control plane know this node by (default: the first IPv4). */
  nodeIP?: string;
  /** All pods' addresses (the node IPAM controller's range); traffic from elsewhere to a Service is masqueraded. */
  clusterCIDR?: string;
  clock?: Clock;
  log?: (line: string) => void;
}

export interface RunningAgent {
  readonly nodeName: string;
  readonly podCIDR: string;
  readonly pods: PodManager;
  readonly sandboxes: SandboxManager;
  readonly ctr: Ctr;
  /** Stops the agent's loops; pods keep running, as when a kubelet stops. */
  stop(): Promise<void>;
}

/** How often every pod is compared with containerd even without any event. */
const RESYNC_MS = 10_000;

/** A short, stable, machine-unique prefix for what this node's sandboxes leave on the host. */
export function sandboxPrefix(nodeName: string): string {
  return `f${createHash("sha256").update(nodeName).digest("hex").slice(0, 8)}`;
}

function readResolvConf(): string {
  try {
    return readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return "";
  }
}

/** The machine's own resolvers, for pods with dnsPolicy Default (loopback ones would not work in a pod). */
function hostDns(text: string): DnsSettings {
  const lines = text.split("\n").map((l) => l.trim());
  const field = (key: string) => lines.filter((l) => l.startsWith(`${key} `)).flatMap((l) => l.split(/\s+/).slice(1));
  return {
    nameservers: upstreamsFromResolvConf(text),
    searches: field("search"),
    options: field("options"),
  };
}

/** Every agent on a machine needs its own iptables chain prefix (at most 6 characters). */
export function chainPrefix(nodeName: string): string {
  return createHash("sha256").update(nodeName).digest("hex").slice(0, 6);
}

/**
 * The node agent: registers the Node, keeps its Lease and status fresh, long-polls for the pods
 * bound to it and runs them through containerd, and serves their logs over the relay.
 */
export async function startAgent(cfg: AgentConfig): Promise<RunningAgent> {
  const clock = cfg.clock ?? systemClock;
  const log = cfg.log ?? ((l: string) => console.error(l));
  const dataDir = resolve(cfg.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ctr = new Ctr({ namespace: cfg.containerdNamespace });
  const client = new ApiClient({ server: cfg.server, token: cfg.token, caPem: cfg.caPem, userAgent: `flotilla-agent/${cfg.nodeName}` });
  const containerdVersion = await ctr.version();
  const facts = (): Promise<NodeFacts> => collectNodeFacts({ dataDir, containerdVersion, internalIP: cfg.nodeIP });
  const firstFacts = await facts();
  const hostIP = firstFacts.addresses.find((a) => a.type === "InternalIP")?.address ?? "127.0.0.1";
  const images = async () => (await ctr.listImages()).map((i) => ({ names: [i.ref, `${i.ref.replace(/(:[^:/]+)$/, "")}@${i.digest}`], sizeBytes: i.sizeBytes }));

  await registerNode(client, { name: cfg.nodeName, labels: cfg.labels, taints: cfg.taints, facts: firstFacts });
  const podCIDR = await waitForPodCIDR(client, cfg.nodeName, 60_000);
  log(`node ${cfg.nodeName} registered, podCIDR ${podCIDR}`);
  const nodeStatus = startNodeStatus({ client, nodeName: cfg.nodeName, facts, images, clock });
  // After an outage the node lifecycle controller may have marked the node Unknown: say Ready at once.
  const lease = startLeaseRenewal({ client, nodeName: cfg.nodeName, clock, onError: (e) => log(`lease renewal failed: ${errText(e)}`), onRecovered: () => nodeStatus.poke() });

  const sandboxes = new SandboxManager({ prefix: sandboxPrefix(cfg.nodeName), dataDir, podCIDR });
  await sandboxes.ensureBridge().catch((e) => log(`pod bridge: ${errText(e)}`));
  const resolvConf = readResolvConf();

  // The kube-proxy and cluster DNS roles: Services and EndpointSlices become packet-filter rules
  // and DNS answers on this node; other nodes' pod ranges become routes.
  const catalog = startServiceCatalog({ client, clock, onError: (e) => log(`service catalog: ${errText(e)}`) });
  const proxy = startServiceProxy({
    catalog,
    nodeName: cfg.nodeName,
    nodeIPs: [hostIP],
    podCIDR,
    clusterCIDR: cfg.clusterCIDR ?? "10.244.0.0/16",
    chainPrefix: chainPrefix(cfg.nodeName),
    log,
  });
  const routes = startPodRoutes({ catalog, nodeName: cfg.nodeName, nodeIP: hostIP, log });
  const dns = startClusterDns({ catalog, address: sandboxes.gatewayIP(), upstreams: upstreamsFromResolvConf(resolvConf), log });
  const pods = new PodManager({
    nodeName: cfg.nodeName,
    hostIP: () => hostIP,
    dataDir,
    runtime: ctr,
    sandboxes,
    api: podApiAdapter(client, cfg.nodeName, clock, (e) => log(`event not recorded: ${errText(e)}`)),
    records: new PodRecordStore(dataDir),
    images: new ImageIndex(ctr, clock),
    clock,
    dns: { clusterNameserver: sandboxes.gatewayIP(), clusterDomain: DEFAULT_CLUSTER_DOMAIN, host: hostDns(resolvConf) },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    listContainers: () => ctr.listContainers({ [LABEL_NODE]: cfg.nodeName }),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
    onError: (e, uid) => log(`pod ${uid}: sync failed: ${errText(e)}`),
  });
  const events = watchEvents({ namespace: cfg.containerdNamespace, onEvent: (e) => pods.onTaskEvent(e), onError: (e) => log(`containerd events: ${errText(e)}`) });

  let managerStarted = false;
  const informer = new PodInformer({
    client,
    nodeName: cfg.nodeName,
    handlers: {
      onUpsert: (pod) => pods.upsert(pod),
      onDelete: (pod) => pods.remove(pod),
      onSynced: () => {
        if (managerStarted) return void pods.resync();
        managerStarted = true;
        pods.start(informer.list()).catch((e) => log(`adopting containers failed: ${errText(e)}`));
      },
    },
  });
  informer.start();
  const resync = setInterval(() => void pods.resync().then(() => nodeStatus.poke()).catch(() => undefined), RESYNC_MS);

  const relay = startRelay({
    server: cfg.server,
    caPem: cfg.caPem,
    token: () => cfg.token,
    nodeName: cfg.nodeName,
    handlers: { logs: (req, out, signal) => serveLogs(pods, dataDir, clock.now(), req, out, signal) },
  });

  return {
    nodeName: cfg.nodeName,
    podCIDR,
    pods,
    sandboxes,
    ctr,
    async stop() {
      clearInterval(resync);
      await relay.stop();
      await informer.stop();
      await pods.stop();
      events.stop();
      // A clean stop takes this node's Service rules and routes with it; its pods keep running.
      await dns.stop();
      await routes.stop();
      await proxy.stop({ cleanup: true });
      await catalog.stop();
      await lease.stop();
      await nodeStatus.stop();
      client.close();
    },
  };
}

async function serveLogs(pods: PodManager, dataDir: string, now: number, req: LogRequest, out: { write(chunk: string | Uint8Array): Promise<void> }, signal: AbortSignal): Promise<void> {
  const worker = pods.worker(req.podUid);
  const c = worker?.container(req.container);
  if (!c || !c.created) throw new RelayRequestError(400, `container "${req.container}" in pod "${req.pod}" is waiting to start: ContainerCreating`);
  let restart = c.restartCount;
  if (req.previous) {
    if (restart === 0 || !c.lastTerminated) throw new RelayRequestError(400, `previous terminated container "${req.container}" in pod "${req.pod}" not found`);
    restart -= 1;
  }
  const sinceTime = req.sinceTime ? new Date(req.sinceTime) : req.sinceSeconds !== undefined ? new Date(now - req.sinceSeconds * 1000) : undefined;
  await streamLog(
    logPathFor(dataDir, req.podUid, req.container, restart),
    { follow: req.follow && !req.previous, tailLines: req.tailLines, sinceTime, timestamps: req.timestamps, limitBytes: req.limitBytes },
    (chunk) => out.write(chunk),
    { signal, isRunning: () => !req.previous && !!worker?.container(req.container)?.running },
  );
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
