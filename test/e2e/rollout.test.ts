import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeClient, readKubeconfig } from "../sim/kube-client";
import { startSimNodes, type SimNodes } from "../sim/sim-nodes";
import { startFlotilla, type KubectlResult, type Started } from "./harness";
import { deploymentYaml, eventually, isActive, isReady, items, kubectlAsync, watchSteps } from "./rollout-helpers";

let server: Started;
let sim: SimNodes;
let kube: KubeClient;
let kubectl: ReturnType<typeof kubectlAsync>;

beforeAll(async () => {
  server = await startFlotilla();
  kubectl = kubectlAsync(server.kubeconfig, mkdtempSync(join(tmpdir(), "flotilla-rollout-")));
  kube = new KubeClient(readKubeconfig(server.kubeconfig));
  // Pods become Ready 300 ms after binding, except in namespace "stuck", where they never do.
  sim = await startSimNodes({ kubeconfig: server.kubeconfig, nodes: 3, readyDelayMs: 300, behavior: (pod) => (pod.metadata.namespace === "stuck" ? { mode: "never-ready" } : undefined) });
});

afterAll(async () => {
  await sim?.stop();
  kube?.close();
  await server?.stop();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function rolledOut(name: string, namespace = "default"): Promise<KubectlResult> {
  const r = await kubectl(["rollout", "status", `deploy/${name}`, "-n", namespace, "--timeout=120s"]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toContain(`deployment "${name}" successfully rolled out`);
  expect(r.code).toBe(0);
  return r;
}

async function deployment(name: string, namespace = "default"): Promise<Record<string, any>> {
  return (await kube.send("GET", `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`)).body;
}

const podsOf = (app: string, ns = "default") => items(kube, `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
const replicaSetsOf = (app: string, ns = "default") => items(kube, `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=app%3D${app}`);
const images = async (app: string) => [...new Set((await podsOf(app)).filter(isActive).map((p) => p.spec.containers[0].image))];

describe("rollouts with the real kubectl and simulated nodes", () => {
  it("applies a Deployment and rollout status waits until it is rolled out", async () => {
    expect(await ok(["apply", "-f", "-"], deploymentYaml("web", "busybox:1.36", { cause: "v1" }))).toBe("deployment.apps/web created\n");
    await rolledOut("web");
    const pods = (await podsOf("web")).filter(isActive);
    expect(pods).toHaveLength(4);
    expect(pods.every(isReady)).toBe(true);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
  });

  it("rolls a new image within maxSurge and maxUnavailable at every observed step", async () => {
    const watch = watchSteps(kube, "default", "web", { replicas: 4, maxSurge: 1, maxUnavailable: 1 });
    await ok(["apply", "-f", "-"], deploymentYaml("web", "busybox:1.37", { cause: "v2" }));
    await rolledOut("web");
    // The step watcher polls; let it see the old ReplicaSet's last scale-down before it stops.
    await eventually(replicaSetsOf.bind(null, "web"), (list) => list.map((r) => r.spec.replicas).sort().join(",") === "0,4");
    const { observations, steps, violations } = await watch.stop();
    expect(violations).toEqual([]);
    expect(observations).toBeGreaterThan(5);
    // Old 4 → ... → old 0 / new 4, through intermediate sizes.
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps[steps.length - 1]).toMatch(/^(\w+=0,\w+=4|\w+=4,\w+=0)$/);
    expect(await images("web")).toEqual(["busybox:1.37"]);
  });

  it("shows the revisions with their change-cause", async () => {
    const out = await ok(["rollout", "history", "deploy/web"]);
    expect(out).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
    expect(out).toMatch(/^1\s+v1$/m);
    expect(out).toMatch(/^2\s+v2$/m);
  });

  it("undoes to revision 1, which becomes revision 3", async () => {
    expect(await ok(["rollout", "undo", "deploy/web", "--to-revision=1"])).toBe("deployment.apps/web rolled back\n");
    await rolledOut("web");
    expect(await images("web")).toEqual(["busybox:1.36"]);
    const out = await ok(["rollout", "history", "deploy/web"]);
    expect(out).toMatch(/^2\s+v2$/m);
    expect(out).toMatch(/^3\s+v1$/m);
    expect(out).not.toMatch(/^1\s/m);
  });

  it("holds a paused rollout and completes it on resume", async () => {
    expect(await ok(["rollout", "pause", "deploy/web"])).toBe("deployment.apps/web paused\n");
    const before = (await replicaSetsOf("web")).length;
    expect(await ok(["set", "image", "deploy/web", "app=busybox:1.38"])).toBe("deployment.apps/web image updated\n");
    const paused = await eventually(() => deployment("web"), (d) => d.status?.observedGeneration === d.metadata.generation, 10_000);
    expect(paused.status.observedGeneration).toBe(paused.metadata.generation);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await replicaSetsOf("web")).length).toBe(before);
    expect(await images("web")).toEqual(["busybox:1.36"]);
    expect(await ok(["rollout", "resume", "deploy/web"])).toBe("deployment.apps/web resumed\n");
    await rolledOut("web");
    expect((await replicaSetsOf("web")).length).toBe(before + 1);
    expect(await images("web")).toEqual(["busybox:1.38"]);
  });

  it("scales to 6 ready replicas", async () => {
    expect(await ok(["scale", "deploy", "web", "--replicas=6"])).toBe("deployment.apps/web scaled\n");
    await rolledOut("web");
    const d = await eventually(() => deployment("web"), (x) => x.status?.readyReplicas === 6);
    expect(d.status).toMatchObject({ replicas: 6, readyReplicas: 6, availableReplicas: 6, updatedReplicas: 6 });
    expect((await podsOf("web")).filter((p) => isActive(p) && isReady(p))).toHaveLength(6);
  });

  it("restarts into a new revision", async () => {
    const rev = Number((await deployment("web")).metadata.annotations["deployment.kubernetes.io/revision"]);
    expect(await ok(["rollout", "restart", "deploy/web"])).toBe("deployment.apps/web restarted\n");
    await rolledOut("web");
    const d = await deployment("web");
    expect(Number(d.metadata.annotations["deployment.kubernetes.io/revision"])).toBe(rev + 1);
    const pods = (await podsOf("web")).filter(isActive);
    expect(pods).toHaveLength(6);
    expect(pods.every((p) => p.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"])).toBe(true);
  });

  it("deletes with each cascade mode", async () => {
    await ok(["create", "namespace", "cascade"]);
    for (const name of ["bg", "fg", "orph"]) await ok(["apply", "-f", "-"], deploymentYaml(name, "busybox:1.36", { replicas: 2, namespace: "cascade" }));
    await Promise.all(["bg", "fg", "orph"].map((n) => rolledOut(n, "cascade")));
    const gone = async (app: string) => (await replicaSetsOf(app, "cascade")).length + (await podsOf(app, "cascade")).length;

    expect(await ok(["delete", "deploy", "bg", "-n", "cascade"])).toBe('deployment.apps "bg" deleted\n');
    expect(await eventually(() => gone("bg"), (n) => n === 0)).toBe(0);

    expect(await ok(["delete", "deploy", "fg", "-n", "cascade", "--cascade=foreground"])).toBe('deployment.apps "fg" deleted\n');
    expect((await kube.send("GET", "/apis/apps/v1/namespaces/cascade/deployments/fg")).status).toBe(404);
    expect(await eventually(() => gone("fg"), (n) => n === 0)).toBe(0);

    const rs = (await replicaSetsOf("orph", "cascade"))[0];
    expect(await ok(["delete", "deploy", "orph", "-n", "cascade", "--cascade=orphan"])).toBe('deployment.apps "orph" deleted\n');
    expect((await kube.send("GET", "/apis/apps/v1/namespaces/cascade/deployments/orph")).status).toBe(404);
    await new Promise((r) => setTimeout(r, 1000));
    const left = await replicaSetsOf("orph", "cascade");
    expect(left.map((r) => r.metadata.uid)).toEqual([rs.metadata.uid]);
    expect(left[0].metadata.ownerReferences ?? []).toEqual([]);
    const pods = (await podsOf("orph", "cascade")).filter(isActive);
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)).toBe(true);
  });

  it("deletes a namespace full of objects", async () => {
    await ok(["create", "namespace", "doomed"]);
    await ok(["apply", "-f", "-"], deploymentYaml("app", "busybox:1.36", { replicas: 3, namespace: "doomed" }));
    for (const c of ["one", "two"]) await ok(["create", "configmap", c, "-n", "doomed", "--from-literal=k=v"]);
    await ok(["run", "solo", "-n", "doomed", "--image=busybox:1.36"]);
    await rolledOut("app", "doomed");
    await eventually(() => items(kube, "/api/v1/namespaces/doomed/pods"), (ps) => ps.length === 4 && ps.every(isReady));
    expect(await ok(["delete", "ns", "doomed", "--timeout=90s"])).toBe('namespace "doomed" deleted\n');
    expect((await kubectl(["get", "ns", "doomed"])).stderr).toContain('namespaces "doomed" not found');
    for (const path of ["/api/v1/namespaces/doomed/pods", "/api/v1/namespaces/doomed/configmaps", "/apis/apps/v1/namespaces/doomed/deployments", "/apis/apps/v1/namespaces/doomed/replicasets"]) {
      expect(await items(kube, path)).toEqual([]);
    }
  });

  it("fails rollout status once the progress deadline is exceeded", async () => {
    await ok(["create", "namespace", "stuck"]);
    await ok(["apply", "-f", "-"], deploymentYaml("slow", "busybox:1.36", { replicas: 2, namespace: "stuck", progressDeadlineSeconds: 10 }));
    const started = Date.now();
    const r = await kubectl(["rollout", "status", "deploy/slow", "-n", "stuck", "--timeout=90s"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "slow" exceeded its progress deadline');
    expect(Date.now() - started).toBeGreaterThanOrEqual(8_000);
    const pods = (await podsOf("slow", "stuck")).filter(isActive);
    expect(pods.length).toBe(2);
    expect(pods.every((p) => p.status.phase === "Running" && !isReady(p))).toBe(true);
    const cond = (await deployment("slow", "stuck")).status.conditions.find((c: any) => c.type === "Progressing");
    expect(cond).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
  });
});
