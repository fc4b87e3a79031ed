/**
 * How the agent names and labels what it creates in containerd, so that after a restart it can
 * find every container of a pod again from containerd alone.
 */
export const LABEL_POD_UID = "flotilla.dev/pod-uid";
export const LABEL_POD_NAME = "flotilla.dev/pod-name";
export const LABEL_POD_NAMESPACE = "flotilla.dev/pod-namespace";
export const LABEL_CONTAINER = "flotilla.dev/container";
export const LABEL_NODE = "flotilla.dev/node";

/** containerd ids allow [A-Za-z0-9_.-] and at most 76 characters. */
const MAX_ID = 76;

/** The containerd id of one container of a pod; stable across the container's restarts. */
export function containerId(podUid: string, containerName: string): string {
  const uid = podUid.replace(/[^a-z0-9]/gi, "").slice(0, 16);
  return `${uid}-${containerName}`.slice(0, MAX_ID);
}

/** The sandbox id of a pod: its uid without dashes (safe for netns and file names). */
export function sandboxId(podUid: string): string {
  return podUid.replace(/[^a-z0-9]/gi, "").slice(0, 32);
}
