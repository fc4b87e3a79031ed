import { describe, expect, it } from "vitest";
import { planRestart } from "../../agent/pods/backoff";
import { pullPolicy } from "../../agent/pods/image-policy";
import { containerArgv } from "../../agent/pods/container-run";
import { newPodRecord, type ContainerRecord, type PodRecord } from "../../agent/pods/pod-record";
import { computeStatus, podPhase } from "../../agent/pods/status";
import { parseLabels, parseTaints } from "../../agent/flags";
import { podDnsSettings } from "../../agent/pods/dns-policy";

const NOW = "2026-11-27T10:00:00Z";

function pod(spec: Record<string, unknown>): Record<string, any> {
  return { metadata: { name: "p", namespace: "default", uid: "u-1" }, spec, status: { conditions: [{ type: "PodScheduled", status: "True", lastTransitionTime: "2026-11-27T09:00:00Z" }] } };
}

function rec(containers: Record<string, Partial<ContainerRecord>>): PodRecord {
  const r = newPodRecord("u-1", "default", "p");
  r.sandboxReady = true;
  r.podIP = "10.244.0.5";
  r.startTime = NOW;
  for (const [name, c] of Object.entries(containers)) r.containers[name] = { name, id: `u1-${name}`, created: true, image: "x", restartCount: 0, running: false, ready: false, started: false, ...c };
  return r;
}

const exited = (exitCode: number) => ({ terminated: { exitCode, reason: exitCode ? "Error" : "Completed", finishedAt: NOW, containerID: "containerd://x" } });

describe("pod phase", () => {
  const two = { containers: [{ name: "a" }, { name: "b" }] };
  it("is Pending until every app container has started once", () => {
    expect(podPhase(pod(two), rec({ a: { running: true } }), true)).toBe("Pending");
    expect(podPhase(pod(two), rec({ a: { running: true }, b: { running: true } }), true)).toBe("Running");
    expect(podPhase(pod(two), rec({ a: { running: true }, b: { running: true } }), false)).toBe("Pending");
  });
  it("follows the restart policy once all containers ended", () => {
    const ended = rec({ a: exited(0), b: exited(1) });
    expect(podPhase(pod({ ...two, restartPolicy: "Always" }), ended, true)).toBe("Running");
    expect(podPhase(pod({ ...two, restartPolicy: "OnFailure" }), ended, true)).toBe("Running");
    expect(podPhase(pod({ ...two, restartPolicy: "Never" }), ended, true)).toBe("Failed");
    expect(podPhase(pod({ ...two, restartPolicy: "Never" }), rec({ a: exited(0), b: exited(0) }), true)).toBe("Succeeded");
    expect(podPhase(pod({ ...two, restartPolicy: "OnFailure" }), rec({ a: exited(0), b: exited(0) }), true)).toBe("Succeeded");
  });
  it("a crash-looping container keeps the pod Running", () => {
    const looping = rec({ a: { running: true }, b: { waiting: { reason: "CrashLoopBackOff" }, lastTerminated: exited(2).terminated } });
    expect(podPhase(pod(two), looping, true)).toBe("Running");
  });
});

describe("pod status", () => {
  it("reports ready containers, conditions and IPs as the kubelet does", () => {
    const p = pod({ containers: [{ name: "a", image: "busybox:local" }] });
    const s: any = computeStatus({ pod: p, record: rec({ a: { running: true, ready: true, started: true, startedAt: NOW, restartCount: 1 } }), hostIP: "192.0.2.1", now: NOW, initialized: true });
    expect(s.phase).toBe("Running");
    expect(s.podIP).toBe("10.244.0.5");
    expect(s.hostIPs).toEqual([{ ip: "192.0.2.1" }]);
    expect(s.conditions.map((c: any) => `${c.type}=${c.status}`)).toEqual(["PodReadyToStartContainers=True", "Initialized=True", "Ready=True", "ContainersReady=True", "PodScheduled=True"]);
    expect(s.containerStatuses[0]).toMatchObject({ name: "a", ready: true, started: true, restartCount: 1, state: { running: { startedAt: NOW } }, containerID: "containerd://u1-a" });
  });
  it("names unready and uninitialized containers", () => {
    const p = pod({ initContainers: [{ name: "i" }], containers: [{ name: "a" }, { name: "b" }] });
    const s: any = computeStatus({ pod: p, record: rec({ i: { running: true } }), hostIP: "h", now: NOW, initialized: false });
    const byType = Object.fromEntries(s.conditions.map((c: any) => [c.type, c]));
    expect(byType.Initialized).toMatchObject({ status: "False", reason: "ContainersNotInitialized", message: "containers with incomplete status: [i]" });
    expect(byType.Ready).toMatchObject({ status: "False", reason: "ContainersNotReady", message: "containers with unready status: [a b]" });
    expect(s.initContainerStatuses[0].state).toEqual({ running: { startedAt: undefined } });
    expect(s.containerStatuses[0].state).toEqual({ waiting: { reason: "PodInitializing" } });
  });
  it("keeps a condition's transition time while its status holds", () => {
    const p = pod({ containers: [{ name: "a" }] });
    p.status.conditions.push({ type: "Ready", status: "False", lastTransitionTime: "2026-11-27T09:30:00Z" });
    const s: any = computeStatus({ pod: p, record: rec({}), hostIP: "h", now: NOW, initialized: true });
    expect(s.conditions.find((c: any) => c.type === "Ready").lastTransitionTime).toBe("2026-11-27T09:30:00Z");
    expect(s.conditions.find((c: any) => c.type === "Initialized").lastTransitionTime).toBe(NOW);
  });
  it("shows the last termination and the back-off", () => {
    const p = pod({ containers: [{ name: "a" }] });
    const s: any = computeStatus({ pod: p, record: rec({ a: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" }, lastTerminated: exited(3).terminated, restartCount: 2 } }), hostIP: "h", now: NOW, initialized: true });
    expect(s.containerStatuses[0].state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } });
    expect(s.containerStatuses[0].lastState.terminated.exitCode).toBe(3);
  });
});

describe("restart back-off", () => {
  it("restarts at once, then after 10 s doubling to 5 minutes, and forgets after 10 minutes of running", () => {
    let w: number | undefined;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const plan = planRestart(w, 1_000);
      delays.push(plan.delayMs);
      w = plan.nextWindowMs;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(planRestart(300_000, 600_000).delayMs).toBe(0);
  });
});

describe("container process and flags", () => {
  it("command replaces the entrypoint and args the cmd, with $(VAR) expansion", () => {
    expect(containerArgv({}, ["/ep"], [])).toBeUndefined();
    expect(containerArgv({ args: ["x"] }, ["/ep", "-v"], [])).toEqual(["/ep", "-v", "x"]);
    expect(containerArgv({ command: ["sh", "-c"], args: ["echo $(A)"] }, ["/ep"], ["A=1"])).toEqual(["sh", "-c", "echo 1"]);
  });
  it("defaults the pull policy from the tag", () => {
    expect(pullPolicy({ image: "busybox" })).toBe("Always");
    expect(pullPolicy({ image: "busybox:latest" })).toBe("Always");
    expect(pullPolicy({ image: "busybox:local" })).toBe("IfNotPresent");
    expect(pullPolicy({ image: "127.0.0.1:5000/busybox" })).toBe("Always");
    expect(pullPolicy({ image: "busybox:local", imagePullPolicy: "Never" })).toBe("Never");
  });
  it("parses labels and taints like kubelet's flags", () => {
    expect(parseLabels("a=1, b=")).toEqual({ a: "1", b: "" });
    expect(() => parseLabels("novalue")).toThrow(/key=value/);
    expect(parseTaints("gpu=true:NoSchedule,spot:PreferNoSchedule")).toEqual([
      { key: "gpu", value: "true", effect: "NoSchedule" },
      { key: "spot", effect: "PreferNoSchedule" },
    ]);
    expect(() => parseTaints("gpu=true")).toThrow(/NoSchedule/);
  });
});

describe("pod DNS by dnsPolicy", () => {
  const node = { clusterNameserver: "10.244.3.1", clusterDomain: "cluster.local", host: { nameservers: ["192.0.2.53"], searches: ["lab.example"], options: ["timeout:2"] } };
  const p = (spec: Record<string, unknown>) => ({ metadata: { namespace: "shop" }, spec });
  it("ClusterFirst points at cluster DNS with the namespace search list and ndots:5", () => {
    expect(podDnsSettings(p({}), node)).toEqual({ nameservers: ["10.244.3.1"], searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "lab.example"], options: ["ndots:5"] });
  });
  it("Default copies the node's resolvers; None takes only dnsConfig", () => {
    expect(podDnsSettings(p({ dnsPolicy: "Default" }), node)).toEqual(node.host);
    expect(podDnsSettings(p({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }] } }), node)).toEqual({ nameservers: ["1.1.1.1"], searches: [], options: ["ndots:2"] });
  });
  it("dnsConfig adds nameservers and searches and overrides options by name", () => {
    const s = podDnsSettings(p({ dnsConfig: { nameservers: ["9.9.9.9"], searches: ["extra.example"], options: [{ name: "ndots", value: "1" }, { name: "edns0" }] } }), node);
    expect(s.nameservers).toEqual(["10.244.3.1", "9.9.9.9"]);
    expect(s.searches.at(-1)).toBe("extra.example");
    expect(s.options).toEqual(["ndots:1", "edns0"]);
  });
});
