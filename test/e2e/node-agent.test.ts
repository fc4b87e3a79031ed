import { describe, expect, it } from "vitest";
import { sandboxPrefix } from "../../agent/agent";
import { ctrState, httpGetText, launchAgent, netnsList, nodeCluster } from "./node-harness";
import { eventually } from "./rollout-helpers";
import { deploymentOf } from "./scheduling-helpers";

const IMAGE = "busybox:local";

const phase = (p: string) => (pod: any) => pod.status?.phase === p;
const cond = (pod: any, type: string) => pod.status?.conditions?.find((c: any) => c.type === type)?.status;
const cstatus = (pod: any, name: string) => [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s: any) => s.name === name);

function podYaml(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): string {
  return JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { terminationGracePeriodSeconds: 2, ...spec } });
}

function httpdDeployment(name: string, replicas: number, nodeName?: string): string {
  return deploymentOf(name, replicas, {
    terminationGracePeriodSeconds: 2,
    ...(nodeName ? { nodeSelector: { "kubernetes.io/hostname": nodeName } } : {}),
    containers: [
      {
        name: "web",
        image: IMAGE,
        command: ["sh", "-c", 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo "serving $(hostname)" && exec httpd -f -v -p 8080 -h /www'],
        ports: [{ containerPort: 8080 }],
      },
    ],
  });
}

describe("a node agent running pods with containerd", () => {
  const c = nodeCluster();

  it("joins with a bootstrap token and registers a Ready node with its facts", async () => {
    await c.startAgent("agent-a", ["--labels", "disk=ssd"]);
    const node = await c.json(["get", "node", "agent-a"]);
    expect(node.metadata.labels).toMatchObject({ "kubernetes.io/hostname": "agent-a", "kubernetes.io/os": "linux", disk: "ssd" });
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.status.capacity.pods).toBe("110");
    expect(node.status.addresses.map((a: any) => a.type)).toEqual(expect.arrayContaining(["InternalIP", "Hostname"]));
    expect(node.status.images.some((i: any) => i.names.includes("docker.io/library/busybox:local"))).toBe(true);
    const lease = await c.json(["get", "lease", "agent-a", "-n", "kube-node-lease"]);
    expect(lease.spec.holderIdentity).toBe("agent-a");
  });

  it("runs a Deployment of httpd pods reachable on their pod IPs, with logs", async () => {
    await c.ok(["apply", "-f", "-"], httpdDeployment("web", 2, "agent-a"));
    const pods = await eventually(
      async () => (await c.json(["get", "pods", "-l", "app=web"])).items as any[],
      (items) => items.length === 2 && items.every((p) => p.status?.phase === "Running" && cond(p, "Ready") === "True" && p.status.podIP),
      90_000,
      500,
    );
    for (const p of pods) {
      expect(p.status.hostIP).toBeTruthy();
      expect(cstatus(p, "web").containerID).toMatch(/^containerd:\/\//);
      expect(await httpGetText(`http://${p.status.podIP}:8080/index.html`)).toBe(`hello from ${p.metadata.name}\n`);
      const logs = await c.ok(["logs", p.metadata.name]);
      expect(logs).toContain(`serving ${p.metadata.name}`);
      const stamped = await c.ok(["logs", p.metadata.name, "--timestamps", "--tail", "1"]);
      expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
    }
    const wide = await c.ok(["get", "pods", "-l", "app=web", "-o", "wide", "--no-headers"]);
    expect(wide).toContain("agent-a");
  });

  it("runs init containers in order, a sidecar beside the app on localhost, and a shared emptyDir", async () => {
    await c.ok(["apply", "-f", "-"], podYaml("ordered", {
      restartPolicy: "Never",
      volumes: [{ name: "shared", emptyDir: {} }],
      initContainers: [
        { name: "first", image: IMAGE, command: ["sh", "-c", "echo first > /data/order"], volumeMounts: [{ name: "shared", mountPath: "/data" }] },
        { name: "second", image: IMAGE, command: ["sh", "-c", "echo second >> /data/order"], volumeMounts: [{ name: "shared", mountPath: "/data" }] },
        {
          name: "sidecar",
          image: IMAGE,
          restartPolicy: "Always",
          command: ["sh", "-c", "mkdir -p /www && echo from-sidecar > /www/index.html && exec httpd -f -p 8081 -h /www"],
        },
      ],
      containers: [
        {
          name: "app",
          image: IMAGE,
          command: ["sh", "-c", "cat /data/order; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://localhost:8081/index.html && exit 0; sleep 0.5; done; exit 1"],
          volumeMounts: [{ name: "shared", mountPath: "/data" }],
        },
      ],
    }));
    const pod = await c.podUntil("ordered", (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed", 90_000);
    expect(pod.status.phase).toBe("Succeeded");
    expect(await c.ok(["logs", "ordered", "-c", "app"])).toBe("first\nsecond\nfrom-sidecar\n");
    expect(cstatus(pod, "first").state.terminated.exitCode).toBe(0);
    // The sidecar is stopped once the app container has finished.
    const after = await c.podUntil("ordered", (p) => !cstatus(p, "sidecar")?.state?.running, 30_000);
    expect(cstatus(after, "sidecar").state.running).toBeUndefined();
  });

  it("backs off a crashing container and counts its restarts", async () => {
    await c.ok(["apply", "-f", "-"], podYaml("crasher", { containers: [{ name: "c", image: IMAGE, command: ["sh", "-c", "echo crashing; exit 3"] }] }));
    const pod = await c.podUntil("crasher", (p) => (cstatus(p, "c")?.restartCount ?? 0) >= 2 && cstatus(p, "c")?.state?.waiting?.reason === "CrashLoopBackOff", 90_000);
    const s = cstatus(pod, "c");
    expect(s.lastState.terminated.exitCode).toBe(3);
    expect(s.lastState.terminated.reason).toBe("Error");
    expect(s.state.waiting.message).toMatch(/^back-off \d+s restarting failed container=c pod=crasher_default/);
    const table = await c.ok(["get", "pod", "crasher", "--no-headers"]);
    expect(table).toMatch(/crasher\s+0\/1\s+CrashLoopBackOff\s+\d/);
    expect(await c.ok(["logs", "crasher", "--previous"])).toBe("crashing\n");
  });

  it("keeps a pod whose readiness probe fails NotReady", async () => {
    await c.ok(["apply", "-f", "-"], podYaml("unready", {
      containers: [{ name: "c", image: IMAGE, command: ["sleep", "3600"], readinessProbe: { exec: { command: ["false"] }, periodSeconds: 1 } }],
    }));
    const pod = await c.podUntil("unready", (p) => p.status?.phase === "Running", 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const later = await c.json(["get", "pod", "unready"]);
    expect(cond(later, "Ready")).toBe("False");
    expect(cstatus(later, "c").ready).toBe(false);
    expect(cstatus(pod, "c").started).toBe(true);
    const events = await c.ok(["get", "events", "--field-selector", "involvedObject.name=unready", "-o", "custom-columns=R:.reason", "--no-headers"]);
    expect(events).toContain("Unhealthy");
  });

  it("removes a deleted pod's containers and network namespace", async () => {
    const agent = c.agents.find((a) => a.name === "agent-a")!;
    const pod = await c.json(["get", "pod", "unready"]);
    const uid = pod.metadata.uid.replace(/-/g, "");
    const netns = `${sandboxPrefix("agent-a")}_${uid}`;
    expect(netnsList()).toContain(netns);
    expect(ctrState(agent.namespace).containers.some((id) => id.startsWith(uid.slice(0, 16)))).toBe(true);
    await c.ok(["delete", "pod", "unready", "--timeout=60s"]);
    expect(netnsList()).not.toContain(netns);
    expect(ctrState(agent.namespace).containers.some((id) => id.startsWith(uid.slice(0, 16)))).toBe(false);
  });

  it("gives pods to a second agent on the same machine", async () => {
    await c.startAgent("agent-b");
    const nodes = await c.json(["get", "nodes"]);
    const cidrs = nodes.items.map((n: any) => n.spec.podCIDR);
    expect(new Set(cidrs).size).toBe(2);
    await c.ok(["apply", "-f", "-"], httpdDeployment("web-b", 1, "agent-b"));
    const [p] = await eventually(
      async () => (await c.json(["get", "pods", "-l", "app=web-b"])).items as any[],
      (items) => items.length === 1 && items[0].status?.phase === "Running" && items[0].status?.podIP,
      90_000,
      500,
    );
    expect(p.spec.nodeName).toBe("agent-b");
    expect(await httpGetText(`http://${p.status.podIP}:8080/index.html`)).toBe(`hello from ${p.metadata.name}\n`);
    const b = c.agents.find((a) => a.name === "agent-b")!;
    expect(ctrState(b.namespace).running.length).toBe(1);
  });

  it("adopts its containers after kill -9 and a restart, without duplicates", async () => {
    const a = c.agents.find((x) => x.name === "agent-a")!;
    const before = ctrState(a.namespace);
    const podsBefore = (await c.json(["get", "pods", "-l", "app=web"])).items as any[];
    await a.stop("SIGKILL");
    expect(ctrState(a.namespace).running).toEqual(before.running);
    await launchAgent(c, a.name, a.namespace, a.dataDir);
    await new Promise((r) => setTimeout(r, 5_000));
    const after = ctrState(a.namespace);
    expect(after.containers).toEqual(before.containers);
    expect(after.running).toEqual(before.running);
    const podsAfter = (await c.json(["get", "pods", "-l", "app=web"])).items as any[];
    for (const p of podsBefore) {
      const q = podsAfter.find((x) => x.metadata.uid === p.metadata.uid);
      expect(cstatus(q, "web").restartCount).toBe(cstatus(p, "web").restartCount);
      expect(q.status.phase).toBe("Running");
      expect(await httpGetText(`http://${q.status.podIP}:8080/index.html`)).toBe(`hello from ${q.metadata.name}\n`);
    }
  });

  it("keeps pods running while the control plane is away, and resyncs when it returns", async () => {
    const a = c.agents.find((x) => x.name === "agent-a")!;
    const pods = (await c.json(["get", "pods", "-l", "app=web"])).items as any[];
    const running = ctrState(a.namespace).running;
    await c.server.stop();
    await new Promise((r) => setTimeout(r, 60_000));
    expect(ctrState(a.namespace).running).toEqual(running);
    for (const p of pods) expect(await httpGetText(`http://${p.status.podIP}:8080/index.html`)).toBe(`hello from ${p.metadata.name}\n`);
    expect(a.proc.exitCode).toBeNull();
    const { startFlotilla } = await import("./harness");
    c.server = await startFlotilla(c.server.dir, c.server.port);
    await c.ok(["apply", "-f", "-"], podYaml("after-outage", { nodeName: "agent-a", containers: [{ name: "c", image: IMAGE, command: ["sleep", "3600"] }] }));
    await c.podUntil("after-outage", phase("Running"), 90_000);
  }, 240_000);
});
