import { watchEvents, type KubeClient } from "../test/sim/kube-client";

type Obj = Record<string, any>;

/** Every replica updated and available, nothing old left, the latest spec observed. */
export function deploymentComplete(d: Obj, replicas: number): boolean {
  const s = d?.status ?? {};
  return s.observedGeneration >= d.metadata.generation && s.replicas === replicas && s.updatedReplicas === replicas && s.availableReplicas === replicas;
}

/**
 * Waits, with one list and then a watch on the single object (as `kubectl rollout status`
 * does), until the deployment is complete; false when `timeoutMs` passes first.
 *
 * @example
 * await waitForDeployment(kube, "bench", "d100", 100, 60_000) // true
 */
export async function waitForDeployment(kube: KubeClient, namespace: string, name: string, replicas: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const field = encodeURIComponent(`metadata.name=${name}`);
  const base = `/apis/apps/v1/namespaces/${namespace}/deployments?fieldSelector=${field}`;
  while (Date.now() < deadline) {
    const list = await kube.send("GET", base);
    if (list.status !== 200) throw new Error(`list deployments: ${list.status}`);
    if (list.body.items?.[0] && deploymentComplete(list.body.items[0], replicas)) return true;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      const res = await kube.stream(`${base}&watch=true&resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=60`, abort.signal);
      for await (const ev of watchEvents(res)) {
        if (ev.type === "ERROR") break;
        if (ev.type !== "DELETED" && deploymentComplete(ev.object, replicas)) {
          res.destroy();
          return true;
        }
      }
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
    }
  }
  return false;
}
