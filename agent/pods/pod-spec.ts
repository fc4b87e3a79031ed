/** Small readers over a pod's spec, the way the kubelet interprets it. */
export type Pod = Record<string, any>;
export type Container = Record<string, any>;

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export function restartPolicy(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === "OnFailure" || p === "Never" ? p : "Always";
}

/** An init container with restartPolicy Always: a sidecar that runs beside the app containers. */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === "Always";
}

export function initContainers(pod: Pod): Container[] {
  return pod.spec?.initContainers ?? [];
}

export function appContainers(pod: Pod): Container[] {
  return pod.spec?.containers ?? [];
}

export function allContainers(pod: Pod): Container[] {
  return [...initContainers(pod), ...appContainers(pod)];
}

/** Seconds to wait between SIGTERM and SIGKILL. */
export function gracePeriodSeconds(pod: Pod): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
  return typeof g === "number" && g >= 0 ? g : 30;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
