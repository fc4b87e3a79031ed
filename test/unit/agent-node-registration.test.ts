import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { arch, availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectNodeFacts, kubeArch, prettyName, type NodeFacts } from "../../agent/node/node-info";
import { registerNode, waitForPodCIDR } from "../../agent/node/registration";
import { FakeNodeApi } from "./agent-node-fake-api";

const NODE = "/api/v1/nodes/n1";

const facts: NodeFacts = {
  capacity: { cpu: "2", memory: "4000000Ki", "ephemeral-storage": "1000000Ki", pods: "110" },
  allocatable: { cpu: "2", memory: "3897600Ki", "ephemeral-storage": "900000Ki", pods: "110" },
  nodeInfo: {
    machineID: "m",
    systemUUID: "s",
    bootID: "b",
    kernelVersion: "6.1.0",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.32.0-flotilla",
    operatingSystem: "linux",
    architecture: "arm64",
  },
  addresses: [{ type: "InternalIP", address: "10.0.0.5" }, { type: "Hostname", address: "n1" }],
};

describe("registerNode", () => {
  it("creates the Node with its labels and registration taints, then posts its facts", async () => {
    const api = new FakeNodeApi();
    const node = await registerNode(api, { name: "n1", labels: { disk: "ssd" }, taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }], facts });
    const created = api.calls.find((c) => c.verb === "create")!;
    expect(created.path).toBe("/api/v1/nodes");
    expect(created.body).toEqual({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64", disk: "ssd" } },
      spec: { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] },
    });
    expect(api.calls.at(-1)).toMatchObject({ verb: "patch", path: `${NODE}/status`, patchType: "strategic" });
    expect(node.status).toMatchObject({ capacity: facts.capacity, allocatable: facts.allocatable, nodeInfo: facts.nodeInfo, addresses: facts.addresses });
    expect(node.status.conditions).toBeUndefined();
    expect(node.metadata.uid).toBeTruthy();
  });

  it("asks for a given pod range on a new Node", async () => {
    const api = new FakeNodeApi();
    await registerNode(api, { name: "n1", facts, podCIDR: "10.244.9.0/24" });
    expect(api.calls[0].body.spec).toEqual({ podCIDR: "10.244.9.0/24", podCIDRs: ["10.244.9.0/24"] });
  });

  it("updates only the labels that differ on an existing Node and leaves its taints alone", async () => {
    const api = new FakeNodeApi();
    const before = api.seed(NODE, {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", team: "a" } },
      spec: { taints: [{ key: "old", effect: "NoSchedule" }], podCIDR: "10.244.1.0/24" },
    });
    const node = await registerNode(api, { name: "n1", labels: { disk: "ssd" }, taints: [{ key: "new", effect: "NoExecute" }], facts });
    expect(api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual(["create /api/v1/nodes", `get ${NODE}`, `patch ${NODE}`, `patch ${NODE}/status`]);
    expect(api.calls[2].body).toEqual({ metadata: { labels: { "kubernetes.io/arch": "arm64", disk: "ssd" } } });
    expect(node.metadata.uid).toBe(before.metadata.uid);
    expect(node.metadata.labels).toEqual({ "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64", team: "a", disk: "ssd" });
    expect(node.spec.taints).toEqual([{ key: "old", effect: "NoSchedule" }]);
  });

  it("sends no label patch when the labels are already right", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64" } }, spec: {} });
    await registerNode(api, { name: "n1", facts });
    expect(api.calls.filter((c) => c.verb === "patch").map((c) => c.path)).toEqual([`${NODE}/status`]);
  });
});

describe("waitForPodCIDR", () => {
  it("polls until the node IPAM controller has set spec.podCIDR, riding out an unreachable server", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" }, spec: {} });
    let polls = 0;
    const sleep = async () => {
      polls++;
      if (polls === 1) api.down = true;
      if (polls === 2) api.down = false;
      if (polls === 3) api.objects.get(NODE)!.spec.podCIDR = "10.244.4.0/24";
    };
    expect(await waitForPodCIDR(api, "n1", 10_000, { intervalMs: 100, sleep })).toBe("10.244.4.0/24");
    expect(polls).toBe(3);
  });

  it("gives up after the timeout with a message that says why", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" }, spec: {} });
    const slept: number[] = [];
    await expect(waitForPodCIDR(api, "n1", 1000, { intervalMs: 400, sleep: async (ms) => void slept.push(ms) })).rejects.toThrow("node n1 got no spec.podCIDR within 1000 ms; is the node IPAM controller running?");
    expect(slept).toEqual([400, 400, 200]);
  });

  it("fails at once when the Node is not there", async () => {
    const api = new FakeNodeApi();
    await expect(waitForPodCIDR(api, "n1", 1000, { sleep: async () => undefined })).rejects.toMatchObject({ status: 404 });
  });
});

describe("collectNodeFacts", () => {
  it("reports this machine's resources, system facts and addresses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-facts-"));
    try {
      const f = await collectNodeFacts({ dataDir: dir, containerdVersion: "v1.6.20", hostname: "n1", internalIP: "192.0.2.7" });
      expect(f.capacity.cpu).toBe(String(availableParallelism()));
      expect(f.capacity.memory).toBe(`${Math.floor(totalmem() / 1024)}Ki`);
      expect(f.capacity.pods).toBe("110");
      expect(f.capacity["ephemeral-storage"]).toMatch(/^[1-9]\d*Ki$/);
      const ki = (q: string) => Number(q.slice(0, -2));
      expect(ki(f.allocatable.memory)).toBe(ki(f.capacity.memory) - 100 * 1024);
      expect(ki(f.allocatable["ephemeral-storage"])).toBeLessThan(ki(f.capacity["ephemeral-storage"]));
      expect(f.nodeInfo).toMatchObject({ operatingSystem: "linux", architecture: kubeArch(arch()), containerRuntimeVersion: "containerd://1.6.20", kubeletVersion: "v1.32.0-flotilla" });
      expect(f.nodeInfo.osImage).toBe(prettyName(readFileSync("/etc/os-release", "utf8")));
      expect(f.nodeInfo.bootID).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
      expect(f.addresses).toEqual([{ type: "InternalIP", address: "192.0.2.7" }, { type: "Hostname", address: "n1" }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads PRETTY_NAME and names architectures as Kubernetes does", () => {
    expect(prettyName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')).toBe("Debian GNU/Linux 12 (bookworm)");
    expect(prettyName("PRETTY_NAME=Alpine\n")).toBe("Alpine");
    expect(prettyName("ID=x\n")).toBe("");
    expect(kubeArch("x64")).toBe("amd64");
    expect(kubeArch("arm64")).toBe("arm64");
  });
});
