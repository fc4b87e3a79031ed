import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KubeClient, readKubeconfig } from "../sim/kube-client";
import { startSimNodes, type SimNodes } from "../sim/sim-nodes";
import { freePort, startFlotilla, type Started } from "./harness";
import { deploymentYaml, eventually, items, kubectlAsync } from "./rollout-helpers";

let server: Started | undefined;
let sim: SimNodes | undefined;
let kube: KubeClient | undefined;

afterAll(async () => {
  await sim?.stop();
  kube?.close();
  await server?.stop();
});

describe("a control plane restart in the middle of a rollout", () => {
  it("finishes the rollout from the persisted work queue", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flotilla-restart-"));
    const port = await freePort();
    server = await startFlotilla(dir, port);
    const kubectl = kubectlAsync(server.kubeconfig, mkdtempSync(join(tmpdir(), "flotilla-restart-home-")));
    // Slow readiness keeps the rollout going long enough to stop the server in the middle of it.
    sim = await startSimNodes({ kubeconfig: server.kubeconfig, nodes: 3, readyDelayMs: 1500 });
    kube = new KubeClient(readKubeconfig(server.kubeconfig));
    const rs = () => items(kube!, "/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dphoenix");

    expect((await kubectl(["apply", "-f", "-"], deploymentYaml("phoenix", "busybox:1.36"))).code).toBe(0);
    expect((await kubectl(["rollout", "status", "deploy/phoenix", "--timeout=120s"])).code).toBe(0);
    expect((await kubectl(["set", "image", "deploy/phoenix", "app=busybox:1.37"])).code).toBe(0);
    const mid = await eventually(rs, (list) => list.length === 2 && list.every((r) => r.spec.replicas > 0));
    expect(mid.every((r) => r.spec.replicas > 0)).toBe(true);

    await sim.stop();
    kube.close();
    expect(await server.stop()).toBe(0);

    server = await startFlotilla(dir, port);
    sim = await startSimNodes({ kubeconfig: server.kubeconfig, nodes: 3, readyDelayMs: 200 });
    kube = new KubeClient(readKubeconfig(server.kubeconfig));
    const status = await kubectl(["rollout", "status", "deploy/phoenix", "--timeout=120s"]);
    expect(status.stdout).toContain('deployment "phoenix" successfully rolled out');
    const sizes = (await rs()).map((r) => [r.spec.template.spec.containers[0].image, r.spec.replicas]).sort();
    expect(sizes).toEqual([
      ["busybox:1.36", 0],
      ["busybox:1.37", 4],
    ]);
  });
});
