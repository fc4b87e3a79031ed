import { randomBytes } from "node:crypto";
import { type Clock, rfc3339 } from "../../src/lib/clock";
import { ApiError, type ApiClient } from "../api/client";
import type { PodApiPort } from "./ports";

const enc = encodeURIComponent;

/**
 * The pod sync loop's view of the API, over the node's own credential: status patches, the last
 * step of a graceful deletion, events, and the ConfigMaps and Secrets its pods reference.
 */
export function podApiAdapter(client: ApiClient, nodeName: string, clock: Clock, onEventError: (e: unknown) => void): PodApiPort {
  const getOrUndefined = async (path: string) => {
    try {
      return await client.get(path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  };
  return {
    async patchStatus(namespace, name, status) {
      await client.patch(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/status`, { status }, "merge");
    },
    async deletePod(namespace, name, uid) {
      try {
        await client.delete(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, {
          apiVersion: "v1",
          kind: "DeleteOptions",
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
      } catch (e) {
        // Already gone, or a new pod of the same name took its place: either way ours is done.
        if (e instanceof ApiError && (e.status === 404 || e.status === 409)) return;
        throw e;
      }
    },
    event(pod, type, reason, message) {
      const now = rfc3339(clock.now());
      const ns = pod.metadata.namespace;
      const body = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${pod.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: ns },
        involvedObject: { kind: "Pod", apiVersion: "v1", namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion },
        reason,
        message,
        type,
        source: { component: "kubelet", host: nodeName },
        reportingComponent: "kubelet",
        reportingInstance: nodeName,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      client.create(`/api/v1/namespaces/${enc(ns)}/events`, body).catch(onEventError);
    },
    configMap: (namespace, name) => getOrUndefined(`/api/v1/namespaces/${enc(namespace)}/configmaps/${enc(name)}`),
    secret: (namespace, name) => getOrUndefined(`/api/v1/namespaces/${enc(namespace)}/secrets/${enc(name)}`),
  };
}
