/**
 * The files of configMap, secret, downwardAPI and projected volumes, computed from the API
 * objects with the kubelet's rules (items select and rename keys, per-item modes override the
 * volume's defaultMode, optional sources may be missing).
 */
import { ContainerConfigError } from "./config-error";
import { podFieldValue, resourceFieldValue, type PodRuntimeFacts, type ResourceList } from "./downward-api";
import type { ObjectLookup } from "./env";
import type { FileProjection, Payload } from "./volumes-atomic-writer";
import type { Pod } from "./pod-spec";

/** Modes of files when neither the item nor the volume names one. */
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_SECRET_FILE_MODE = 0o600;

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface PayloadContext {
  lookup: ObjectLookup;
  facts: PodRuntimeFacts;
  nodeAllocatable?: ResourceList;
}

/** The files of a ConfigMap: `data` as UTF-8 text, `binaryData` decoded from base64. */
export async function configMapPayload(pod: Pod, name: string, items: KeyToPath[] | undefined, optional: boolean, defaultMode: number, lookup: ObjectLookup): Promise<Payload> {
  const cm = await lookup.configMap(namespaceOf(pod), name);
  if (!cm && !optional) throw new ContainerConfigError(`configmap "${name}" not found`);
  const entries = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm?.data ?? {})) entries.set(k, Buffer.from(String(v), "utf8"));
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) entries.set(k, Buffer.from(String(v), "base64"));
  return projectKeys(entries, items, optional, defaultMode, (key) => `configmap references non-existent config key: ${key}`);
}

/** The files of a Secret, its `data` decoded from base64. */
export async function secretPayload(pod: Pod, name: string, items: KeyToPath[] | undefined, optional: boolean, defaultMode: number, lookup: ObjectLookup): Promise<Payload> {
  const secret = await lookup.secret(namespaceOf(pod), name);
  if (!secret && !optional) throw new ContainerConfigError(`secret "${name}" not found`);
  const entries = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret?.data ?? {})) entries.set(k, Buffer.from(String(v), "base64"));
  return projectKeys(entries, items, optional, defaultMode, (key) => `references non-existent secret key: ${key}`);
}

function projectKeys(entries: Map<string, Buffer>, items: KeyToPath[] | undefined, optional: boolean, defaultMode: number, missing: (key: string) => string): Payload {
  const payload: Payload = new Map();
  if (!items?.length) {
    for (const [key, data] of entries) payload.set(key, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = entries.get(item.key);
    if (!data) {
      if (optional) continue;
      throw new ContainerConfigError(missing(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

interface DownwardItem {
  path: string;
  mode?: number;
  fieldRef?: { apiVersion?: string; fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
}

/** The files of a downwardAPI volume (or projected source): one per item. */
export function downwardApiPayload(pod: Pod, items: DownwardItem[] | undefined, defaultMode: number, ctx: PayloadContext): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    try {
      let value = "";
      if (item.fieldRef) value = podFieldValue(pod, item.fieldRef, ctx.facts);
      else if (item.resourceFieldRef) value = resourceFieldValue(pod, undefined, item.resourceFieldRef, ctx.nodeAllocatable);
      payload.set(item.path, { data: Buffer.from(value, "utf8"), mode: item.mode ?? defaultMode });
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw aggregate(errors);
  return payload;
}

/**
 * The files of a projected volume: its configMap, secret and downwardAPI sources merged into one
 * directory. serviceAccountToken and clusterTrustBundle sources are not projected by this node.
 */
export async function projectedPayload(pod: Pod, source: any, ctx: PayloadContext): Promise<Payload> {
  const payload: Payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  const explicitMode: number | undefined = source.defaultMode;
  for (const s of source.sources ?? []) {
    try {
      let part: Payload | undefined;
      if (s.configMap) part = await configMapPayload(pod, s.configMap.name, s.configMap.items, s.configMap.optional === true, explicitMode ?? DEFAULT_FILE_MODE, ctx.lookup);
      else if (s.secret) part = await secretPayload(pod, s.secret.name, s.secret.items, s.secret.optional === true, explicitMode ?? DEFAULT_SECRET_FILE_MODE, ctx.lookup);
      else if (s.downwardAPI) part = downwardApiPayload(pod, s.downwardAPI.items, explicitMode ?? DEFAULT_FILE_MODE, ctx);
      for (const [path, file] of part ?? []) payload.set(path, file);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      errors.push(e.message);
    }
  }
  if (errors.length) throw aggregate(errors);
  return payload;
}

/** Several problems reported at once, in the bracketed form the kubelet prints. */
function aggregate(messages: string[]): ContainerConfigError {
  return new ContainerConfigError(messages.length === 1 ? messages[0] : `[${messages.join(", ")}]`);
}

function namespaceOf(pod: Pod): string {
  return pod.metadata?.namespace ?? "default";
}
