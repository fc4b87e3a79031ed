/**
 * A container's environment, built the way the kubelet builds it: `envFrom` sources first, then
 * `env` in order (a later definition wins), with `$(VAR)` references expanded against what was
 * defined before. Service environment variables (`<SVC>_SERVICE_HOST`, ...) are not added; pods
 * find services through cluster DNS.
 *
 * Secret values pass through here, so nothing in this module logs, and no error message carries
 * a value, only names and keys.
 */
import { ContainerConfigError } from "./config-error";
import { podFieldValue, resourceFieldValue, type ResourceList } from "./downward-api";
import type { Container, Pod } from "./pod-spec";

/** Reads ConfigMaps and Secrets; undefined means the object does not exist. */
export interface ObjectLookup {
  configMap(namespace: string, name: string): Promise<any | undefined>;
  secret(namespace: string, name: string): Promise<any | undefined>;
}

export interface EnvContext {
  nodeName: string;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  /** The node's allocatable resources: what an unset limit reads as through resourceFieldRef. */
  nodeAllocatable?: ResourceList;
  lookup: ObjectLookup;
}

/**
 * The container's environment as `NAME=value` strings, each name once, in the order names were
 * first defined.
 * @throws ContainerConfigError for a missing, non-optional ConfigMap, Secret or key.
 * @example
 * const env = await resolveEnv(pod, pod.spec.containers[0], { nodeName: "n1", podIP: "10.244.0.5", lookup });
 * // ["POD_IP=10.244.0.5", "GREETING=hello world", ...]
 */
export async function resolveEnv(pod: Pod, container: Container, ctx: EnvContext): Promise<string[]> {
  const sources = new SourceReader(ctx.lookup, pod.metadata?.namespace ?? "default");
  const vars = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix: string = from.prefix ?? "";
    if (from.configMapRef) {
      const cm = await sources.configMap(from.configMapRef.name, from.configMapRef.optional === true);
      for (const [key, value] of Object.entries(cm?.data ?? {})) defineFromSource(vars, prefix + key, String(value));
    } else if (from.secretRef) {
      const secret = await sources.secret(from.secretRef.name, from.secretRef.optional === true);
      for (const [key, value] of Object.entries(secret?.data ?? {})) defineFromSource(vars, prefix + key, decodeSecretValue(value));
    }
  }
  for (const envVar of container.env ?? []) {
    const value = await envVarValue(pod, container, envVar, vars, sources, ctx);
    if (value !== undefined) vars.set(envVar.name, value);
  }
  return [...vars].map(([name, value]) => `${name}=${value}`);
}

function defineFromSource(vars: Map<string, string>, name: string, value: string): void {
  // A name with "=" cannot be expressed in a process environment; the API forbids it anyway.
  if (name && !name.includes("=")) vars.set(name, value);
}

/** One `env` entry's value, or undefined when an optional reference is missing (the variable is then not set). */
async function envVarValue(pod: Pod, container: Container, envVar: any, vars: Map<string, string>, sources: SourceReader, ctx: EnvContext): Promise<string | undefined> {
  const literal: string = envVar.value ?? "";
  if (literal !== "" || !envVar.valueFrom) return expandReferences(literal, vars);
  const from = envVar.valueFrom;
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef, ctx);
  if (from.resourceFieldRef) return resourceFieldValue(pod, container, from.resourceFieldRef, ctx.nodeAllocatable);
  if (from.configMapKeyRef) {
    const { name, key } = from.configMapKeyRef;
    const optional = from.configMapKeyRef.optional === true;
    const cm = await sources.configMap(name, optional);
    if (!cm) return undefined;
    const value = cm.data?.[key];
    if (value !== undefined) return String(value);
    if (optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${sources.namespace}/${name}`);
  }
  if (from.secretKeyRef) {
    const { name, key } = from.secretKeyRef;
    const optional = from.secretKeyRef.optional === true;
    const secret = await sources.secret(name, optional);
    if (!secret) return undefined;
    const value = secret.data?.[key];
    if (value !== undefined) return decodeSecretValue(value);
    if (optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${key} in Secret ${sources.namespace}/${name}`);
  }
  return "";
}

/** Secret data travels base64-encoded. */
function decodeSecretValue(value: unknown): string {
  return Buffer.from(String(value), "base64").toString("utf8");
}

/**
 * Fetches each ConfigMap and Secret once per call, so every variable sees the same version of
 * an object, as the kubelet does.
 */
class SourceReader {
  private readonly configMaps = new Map<string, any>();
  private readonly secrets = new Map<string, any>();

  constructor(
    private readonly lookup: ObjectLookup,
    readonly namespace: string,
  ) {}

  configMap(name: string, optional: boolean): Promise<any | undefined> {
    return this.read(this.configMaps, name, optional, "configmap", (ns, n) => this.lookup.configMap(ns, n));
  }

  secret(name: string, optional: boolean): Promise<any | undefined> {
    return this.read(this.secrets, name, optional, "secret", (ns, n) => this.lookup.secret(ns, n));
  }

  private async read(cache: Map<string, any>, name: string, optional: boolean, kind: string, fetch: (ns: string, name: string) => Promise<any>): Promise<any | undefined> {
    if (cache.has(name)) return cache.get(name);
    const obj = await fetch(this.namespace, name);
    if (obj === undefined || obj === null) {
      if (optional) return undefined;
      throw new ContainerConfigError(`${kind} "${name}" not found`);
    }
    cache.set(name, obj);
    return obj;
  }
}

/**
 * Expands `$(NAME)` references with the given variables, as Kubernetes documents for `env`,
 * `command` and `args`: `$$` stands for a literal `$`, and a reference to an unknown name, or
 * one that is never closed, is left as written.
 * @example expandReferences("$(A)-$$(A)-$(B)", new Map([["A", "x"]])) // "x-$(A)-$(B)"
 */
export function expandReferences(value: string, vars: ReadonlyMap<string, string>): string {
  return expandWith(value, (name) => vars.get(name));
}

/** `$(NAME)` expansion with a lookup function; undefined leaves the reference as written. */
export function expandWith(value: string, lookup: (name: string) => string | undefined): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const ch = value[i];
    if (ch !== "$" || i + 1 >= value.length) {
      out += ch;
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "(") {
      const close = value.indexOf(")", i + 2);
      if (close === -1) {
        out += "$(";
        i += 2;
        continue;
      }
      const name = value.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/**
 * A container's `command` or `args` with `$(NAME)` references expanded against its
 * environment (`NAME=value` strings; a later entry wins).
 * @example expandCommand(["echo", "$(MSG)"], ["MSG=hi"]) // ["echo", "hi"]
 */
export function expandCommand(argv: string[], env: string[]): string[] {
  const vars = envToMap(env);
  return argv.map((arg) => expandReferences(arg, vars));
}

/** `NAME=value` strings as a map; a later entry wins. */
export function envToMap(env: string[]): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}
