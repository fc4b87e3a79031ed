/**
 * A mistake in a pod's configuration that the node cannot work around, such as a reference to a
 * ConfigMap that does not exist. The kubelet reports these as `CreateContainerConfigError` and
 * retries, so the pod starts once the user fixes the reference.
 *
 * @example
 * throw new ContainerConfigError(`configmap "settings" not found`);
 */
export class ContainerConfigError extends Error {
  override name = "ContainerConfigError";
}
