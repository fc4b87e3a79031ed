/**
 * Simulated nodes for tests and benchmarks (the KWOK idea): Node objects that report Ready and
 * renew their Leases, and a kubelet stand-in that reports the pods bound to them Running (and
 * Ready, or not) and finishes their graceful deletion. Binding is the scheduler's job; the nodes
 * can take pending pods round-robin themselves only when asked to (`bind: true`). Everything
 * goes through the API, as a real node would.
 */
import { KubeClient, readKubeconfig, watchEvents, type KubeResponse } from "./kube-client";
import { podStatus, simLease, simNode, simNodeStatus, type SimNodeShape } from "./sim-objects";

export type { SimNodeShape, SimResources } from "./sim-objects";

type Pod = Record<string, any>;

/** What the simulated kubelet does with one pod. */
export interface PodBehavior {
  /** "ready": Running and Ready; "never-ready": Running, Ready False; "ignore": leave it alone. */
  mode: "ready" | "never-ready" | "ignore";
  /** Wait this long after binding before reporting the pod's status. */
  delayMs?: number;
}

/** One simulated node: its name and shape. */
export interface SimNodeSpec extends SimNodeShape {
  name: string;
}

export interface SimNodesOptions {
  /** The kubeconfig whose server, CA and token the nodes use. */
  kubeconfig: string;
  /** How many nodes to register (default 3), or each node's name and shape. */
  nodes?: number | readonly SimNodeSpec[];
  /** The shape of every node given by count (labels, taints, capacity, images). */
  shape?: SimNodeShape;
  /**
   * Bind pending pods to the nodes round-robin, as if there were no scheduler (default false:
   * a real node never binds, the scheduler does).
   */
  bind?: boolean;
  /** How often each node renews its Lease (default 10 s, a kubelet's interval for a 40 s lease). */
  leaseRenewMs?: number;
  /** Node names are `<prefix>-<i>` (default "sim-node"). */
  prefix?: string;
  /** Default behaviour for every pod (default "ready"). */
  mode?: PodBehavior["mode"];
  /** Default delay before a pod's status is reported (default 0). */
  readyDelayMs?: number;
  /** Per-pod override of mode and delay; return undefined for the defaults. */
  behavior?: (pod: Pod) => PodBehavior | undefined;
  /** Most API requests in flight at once (default 16). */
  concurrency?: number;
}

/** Counters of what the simulated nodes did. */
export interface SimStats {
  /** Every HTTP request sent, watches and lists included. */
  requests: number;
  binds: number;
  statusPatches: number;
  deletes: number;
  leaseRenewals: number;
  lists: number;
  watches: number;
  errors: number;
}

export interface SimNodes {
  readonly nodeNames: readonly string[];
  readonly stats: SimStats;
  /**
   * The node goes silent, as if cut off from the network: no Lease renewals, no pod status
   * reports, no finished deletions for its pods.
   */
  stopHeartbeat(node: string): void;
  /**
   * The node is back: renews its Lease, reports itself Ready again (a kubelet rewrites a status
   * the node controller marked Unknown) and catches up with its pods.
   */
  resumeHeartbeat(node: string): Promise<void>;
  stop(): Promise<void>;
}

const WATCH_TIMEOUT_S = 300;
/** Retries of a failed bind, status report or delete (backoff 200 ms, doubling). */
const MAX_RETRIES = 5;
const LEASE_RENEW_MS = 10_000;

/** The node specs the options ask for. */
function nodeSpecs(opts: SimNodesOptions): SimNodeSpec[] {
  if (Array.isArray(opts.nodes)) return opts.nodes.map((n) => ({ ...opts.shape, ...n }));
  const count = (opts.nodes as number | undefined) ?? 3;
  return Array.from({ length: count }, (_, i) => ({ ...opts.shape, name: `${opts.prefix ?? "sim-node"}-${i}` }));
}

/**
 * Registers the nodes and starts the pod loop (list, then watch from the list's
 * resourceVersion; relist after a 410).
 *
 * @example
 * const sim = await startSimNodes({ kubeconfig, nodes: 3, readyDelayMs: 200 });
 * // ... apply a Deployment and wait for it ...
 * await sim.stop();
 */
export async function startSimNodes(opts: SimNodesOptions): Promise<SimNodes> {
  const kube = new KubeClient({ ...readKubeconfig(opts.kubeconfig), concurrency: opts.concurrency ?? 16 });
  const specs = nodeSpecs(opts);
  const names = specs.map((n) => n.name);
  const ours = new Set(names);
  /** Nodes whose heartbeat is stopped. */
  const silent = new Set<string>();
  const stats: SimStats = {
    get requests() {
      return kube.requests;
    },
    binds: 0,
    statusPatches: 0,
    deletes: 0,
    leaseRenewals: 0,
    lists: 0,
    watches: 0,
    errors: 0,
  };
  const bump = (k: Exclude<keyof SimStats, "requests">) => void stats[k]++;
  const abort = new AbortController();
  const pending = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  /** uid -> what was done already, so repeated events do not repeat requests. */
  const bound = new Set<string>();
  const reported = new Set<string>();
  const deleted = new Set<string>();
  let next = 0;
  let stopped = false;

  await Promise.all(specs.map((n) => registerNode(kube, n)));
  // Heartbeats: a kubelet renews its node's Lease every 10 s, or the node goes Unknown.
  const heartbeat = setInterval(() => {
    for (const n of names) if (!silent.has(n)) act("leaseRenewals", `lease ${n}`, () => renewLease(kube, n));
  }, opts.leaseRenewMs ?? LEASE_RENEW_MS);

  const behaviorOf = (pod: Pod): PodBehavior => opts.behavior?.(pod) ?? { mode: opts.mode ?? "ready", delayMs: opts.readyDelayMs ?? 0 };

  function later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  }

  /**
   * Sends one request for a pod and counts it under `what`. 404 and 409 mean the pod moved on
   * (gone, or already bound); any other failure is retried with backoff a few times.
   */
  function act(what: "binds" | "statusPatches" | "deletes" | "leaseRenewals", label: string, send: () => Promise<KubeResponse>, then?: () => void, attempt = 0): void {
    const q = send()
      .catch((e): KubeResponse => ({ status: 0, body: String(e) }))
      .then((r) => {
        if (r.status >= 200 && r.status < 300) {
          bump(what);
          then?.();
          return;
        }
        if (r.status === 404 || r.status === 409 || stopped) return;
        bump("errors");
        if (process.env.SIM_DEBUG) process.stderr.write(`sim: ${label}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}\n`);
        if (attempt < MAX_RETRIES) later(200 * 2 ** attempt, () => act(what, label, send, then, attempt + 1));
      })
      .finally(() => pending.delete(q));
    pending.add(q);
  }

  function report(pod: Pod, node: string, b: PodBehavior): void {
    const uid = pod.metadata.uid;
    if (reported.has(uid)) return;
    reported.add(uid);
    const { namespace, name } = pod.metadata;
    const send = () => {
      const patch = { status: podStatus(pod, node, b.mode === "ready", Date.now()) };
      return kube.send("PATCH", `/api/v1/namespaces/${namespace}/pods/${name}/status`, patch, "application/merge-patch+json");
    };
    if (b.delayMs) later(b.delayMs, () => act("statusPatches", `status ${namespace}/${name}`, send));
    else act("statusPatches", `status ${namespace}/${name}`, send);
  }

  function handle(type: string, pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid || type === "DELETED" || type === "BOOKMARK") return;
    const { namespace, name } = pod.metadata;
    const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
    const nodeName: string | undefined = pod.spec?.nodeName;
    if (nodeName && silent.has(nodeName)) return;
    if (pod.metadata.deletionTimestamp) {
      // A kubelet finishes a graceful deletion once its containers stopped: at once, here.
      if ((nodeName && !ours.has(nodeName)) || deleted.has(uid)) return;
      deleted.add(uid);
      const body = { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid } };
      act("deletes", `delete ${namespace}/${name}`, () => kube.send("DELETE", path, body));
      return;
    }
    const b = behaviorOf(pod);
    if (b.mode === "ignore") return;
    if (nodeName) {
      if (ours.has(nodeName) && !isReported(pod, b)) report(pod, nodeName, b);
      return;
    }
    if (!opts.bind || bound.has(uid)) return;
    bound.add(uid);
    // No scheduler yet: nodes take pending pods in turn.
    const node = names[next++ % names.length];
    const binding = { apiVersion: "v1", kind: "Binding", metadata: { name, namespace, uid }, target: { apiVersion: "v1", kind: "Node", name: node } };
    act("binds", `bind ${namespace}/${name}`, () => kube.send("POST", `${path}/binding`, binding), () => report(pod, node, b));
  }

  /** Lists, then watches from the list's resourceVersion until stopped; a 410 means relist. */
  async function loop(): Promise<void> {
    let rv = "";
    let backoff = 100;
    while (!stopped) {
      try {
        if (!rv) {
          bump("lists");
          const list = await kube.send("GET", "/api/v1/pods");
          if (list.status !== 200) throw new Error(`list pods: ${list.status}`);
          for (const pod of list.body.items ?? []) handle("ADDED", pod);
          rv = list.body.metadata.resourceVersion;
        }
        bump("watches");
        const res = await kube.stream(`/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=${WATCH_TIMEOUT_S}`, abort.signal);
        if (res.statusCode === 410) rv = "";
        if (res.statusCode !== 200) {
          res.resume();
          if (res.statusCode !== 410) throw new Error(`watch pods: ${res.statusCode}`);
          continue;
        }
        rv = await readWatch(res, rv, (type, obj) => {
          backoff = 100;
          handle(type, obj);
        });
      } catch (e) {
        if (stopped) return;
        bump("errors");
        if (process.env.SIM_DEBUG) process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  const running = loop();
  return {
    nodeNames: names,
    stats,
    stopHeartbeat(node) {
      if (!ours.has(node)) throw new Error(`not a simulated node: ${node}`);
      silent.add(node);
    },
    async resumeHeartbeat(node) {
      const spec = specs.find((s) => s.name === node);
      if (!spec) throw new Error(`not a simulated node: ${node}`);
      silent.delete(node);
      const lease = await renewLease(kube, node);
      if (lease.status >= 300) throw new Error(`node ${node} lease: ${lease.status} ${JSON.stringify(lease.body)}`);
      const r = await kube.send("PATCH", `/api/v1/nodes/${node}/status`, { status: simNodeStatus(node, Date.now(), spec) }, "application/merge-patch+json");
      if (r.status >= 300) throw new Error(`node ${node} status: ${r.status} ${JSON.stringify(r.body)}`);
      // Catch up with what happened to the node's pods while it was away.
      const pods = await kube.send("GET", "/api/v1/pods");
      if (pods.status !== 200) throw new Error(`list pods: ${pods.status}`);
      for (const pod of pods.body.items ?? []) if (pod.spec?.nodeName === node) handle("MODIFIED", pod);
    },
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      abort.abort();
      for (const t of timers) clearTimeout(t);
      await running.catch(() => {});
      await Promise.allSettled([...pending]);
      kube.close();
    },
  };
}

/** Whether the pod already shows the status this behaviour would report. */
function isReported(pod: Pod, b: PodBehavior): boolean {
  if (pod.status?.phase !== "Running") return false;
  const ready = (pod.status?.conditions ?? []).find((c: Pod) => c.type === "Ready")?.status === "True";
  return ready === (b.mode === "ready");
}

/**
 * Reads newline-delimited watch events until the stream ends; returns the last resourceVersion
 * seen, or "" after an ERROR event (410 Expired: relist).
 */
async function readWatch(res: NodeJS.ReadableStream, rv: string, onEvent: (type: string, obj: Pod) => void): Promise<string> {
  for await (const ev of watchEvents(res)) {
    if (ev.type === "ERROR") return "";
    rv = ev.object?.metadata?.resourceVersion ?? rv;
    onEvent(ev.type, ev.object);
  }
  return rv;
}

/** Creates the Node (or finds it) and reports it Ready with capacity. */
async function registerNode(kube: KubeClient, spec: SimNodeSpec): Promise<void> {
  const { name } = spec;
  const created = await kube.send("POST", "/api/v1/nodes", simNode(name, spec));
  if (created.status >= 300 && created.status !== 409) throw new Error(`register node ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  const r = await kube.send("PATCH", `/api/v1/nodes/${name}/status`, { status: simNodeStatus(name, Date.now(), spec) }, "application/merge-patch+json");
  if (r.status >= 300) throw new Error(`node ${name} status: ${r.status} ${JSON.stringify(r.body)}`);
  const lease = await renewLease(kube, name);
  if (lease.status >= 300) throw new Error(`node ${name} lease: ${lease.status} ${JSON.stringify(lease.body)}`);
}

/** Creates or renews the node's Lease in kube-node-lease, as a kubelet's heartbeat does. */
async function renewLease(kube: KubeClient, name: string): Promise<KubeResponse> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases`;
  const renewTime = new Date().toISOString().replace(/Z$/, "000Z");
  const r = await kube.send("PATCH", `${path}/${name}`, { spec: { holderIdentity: name, renewTime } }, "application/merge-patch+json");
  if (r.status !== 404) return r;
  return kube.send("POST", path, simLease(name, renewTime));
}
