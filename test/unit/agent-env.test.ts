import { describe, expect, it } from "vitest";
import { ContainerConfigError } from "../../agent/pods/config-error";
import { expandCommand, expandReferences, resolveEnv, type EnvContext, type ObjectLookup } from "../../agent/pods/env";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A lookup over fixed objects that counts its reads. */
function lookupOf(objects: { configMaps?: Record<string, any>; secrets?: Record<string, any> }) {
  const reads: string[] = [];
  const lookup: ObjectLookup = {
    async configMap(ns, name) {
      reads.push(`cm ${ns}/${name}`);
      return objects.configMaps?.[`${ns}/${name}`];
    },
    async secret(ns, name) {
      reads.push(`secret ${ns}/${name}`);
      return objects.secrets?.[`${ns}/${name}`];
    },
  };
  return { lookup, reads };
}

function podWith(container: any, extra: any = {}): any {
  return {
    metadata: { name: "web-0", namespace: "shop", uid: "0c7f3a9e-1111-2222-3333-444455556666", labels: { app: "web", tier: "front" }, annotations: { "example.com/owner": "team-a" } },
    spec: { nodeName: "n1", serviceAccountName: "builder", containers: [container], ...extra.spec },
    status: { hostIP: "192.168.1.10", podIP: "10.244.0.9", ...extra.status },
  };
}

function ctxWith(lookup: ObjectLookup, extra: Partial<EnvContext> = {}): EnvContext {
  return { nodeName: "n1", podIP: "10.244.0.5", podIPs: ["10.244.0.5"], hostIP: "192.168.1.20", lookup, ...extra };
}

describe("expandReferences", () => {
  const vars = new Map([
    ["A", "apple"],
    ["B", "$(A)"],
    ["EMPTY", ""],
  ]);
  it.each([
    ["$(A)", "apple"],
    ["x-$(A)-y", "x-apple-y"],
    ["$$(A)", "$(A)"],
    ["$$$(A)", "$apple"],
    ["$$$$(A)", "$$(A)"],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["$(EMPTY)", ""],
    ["$(B)", "$(A)"],
    ["$(A", "$(A"],
    ["$(", "$("],
    ["a$", "a$"],
    ["$A", "$A"],
    ["$$", "$"],
    ["$()", "$()"],
    ["$(A)$(A)", "appleapple"],
    ["$($(A))", "$($(A))"],
    ["no refs", "no refs"],
  ])("%j -> %j", (input, want) => expect(expandReferences(input, vars)).toBe(want));
});

describe("expandCommand", () => {
  it("expands against the environment, a later entry winning", () => {
    expect(expandCommand(["sh", "-c", "echo $(MSG) $$(MSG) $(NOPE)"], ["MSG=first", "MSG=hello=world"])).toEqual(["sh", "-c", "echo hello=world $(MSG) $(NOPE)"]);
  });
});

describe("resolveEnv", () => {
  it("takes envFrom first, then env in order, later definitions winning", async () => {
    const { lookup } = lookupOf({
      configMaps: { "shop/base": { data: { LEVEL: "info", COLOR: "blue" } } },
      secrets: { "shop/creds": { data: { USER: b64("admin"), PASS: b64("s3cr3t") } } },
    });
    const c = {
      name: "app",
      envFrom: [{ configMapRef: { name: "base" } }, { prefix: "DB_", secretRef: { name: "creds" } }, { configMapRef: { name: "absent", optional: true } }],
      env: [
        { name: "COLOR", value: "red" },
        { name: "GREETING", value: "hi $(DB_USER), level $(LEVEL), later $(LATER)" },
        { name: "LATER", value: "x" },
        { name: "EMPTY", value: "" },
      ],
    };
    const env = await resolveEnv(podWith(c), c, ctxWith(lookup));
    expect(env).toEqual(["LEVEL=info", "COLOR=red", "DB_USER=admin", "DB_PASS=s3cr3t", "GREETING=hi admin, level info, later $(LATER)", "LATER=x", "EMPTY="]);
  });

  it("resolves every field the downward API offers to env", async () => {
    const { lookup } = lookupOf({});
    const ref = (fieldPath: string) => ({ valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } });
    const c = {
      name: "app",
      env: [
        { name: "NAME", ...ref("metadata.name") },
        { name: "NS", ...ref("metadata.namespace") },
        { name: "UID", ...ref("metadata.uid") },
        { name: "APP", ...ref("metadata.labels['app']") },
        { name: "OWNER", ...ref("metadata.annotations['example.com/owner']") },
        { name: "MISSING_LABEL", ...ref("metadata.labels['nope']") },
        { name: "NODE", ...ref("spec.nodeName") },
        { name: "SA", ...ref("spec.serviceAccountName") },
        { name: "HOST_IP", ...ref("status.hostIP") },
        { name: "HOST_IPS", ...ref("status.hostIPs") },
        { name: "POD_IP", ...ref("status.podIP") },
        { name: "POD_IPS", ...ref("status.podIPs") },
      ],
    };
    const env = await resolveEnv(podWith(c), c, ctxWith(lookup, { podIPs: ["10.244.0.5", "fd00::5"], hostIPs: ["192.168.1.20", "fd01::20"] }));
    expect(env).toEqual([
      "NAME=web-0",
      "NS=shop",
      "UID=0c7f3a9e-1111-2222-3333-444455556666",
      "APP=web",
      "OWNER=team-a",
      "MISSING_LABEL=",
      "NODE=n1",
      "SA=builder",
      "HOST_IP=192.168.1.20",
      "HOST_IPS=192.168.1.20,fd01::20",
      "POD_IP=10.244.0.5",
      "POD_IPS=10.244.0.5,fd00::5",
    ]);
  });

  it("falls back to the pod's status for addresses the node did not give", async () => {
    const { lookup } = lookupOf({});
    const c = { name: "app", env: [{ name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }, { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }] };
    expect(await resolveEnv(podWith(c), c, { nodeName: "n1", lookup })).toEqual(["IP=10.244.0.9", "HOST=192.168.1.10"]);
  });

  it("reads resources in whole divisor units, rounding up, with unset limits as node allocatable", async () => {
    const { lookup } = lookupOf({});
    const res = (name: string, resource: string, divisor?: string, containerName?: string) => ({ name, valueFrom: { resourceFieldRef: { resource, divisor, containerName } } });
    const c = {
      name: "app",
      resources: { limits: { cpu: "1500m" }, requests: { cpu: "250m", memory: "100Mi" } },
      env: [
        res("CPU_LIMIT", "limits.cpu", "0"),
        res("CPU_LIMIT_MILLI", "limits.cpu", "1m"),
        res("CPU_REQUEST", "requests.cpu"),
        res("MEM_REQUEST_MI", "requests.memory", "1Mi"),
        res("MEM_REQUEST_BYTES", "requests.memory"),
        res("MEM_LIMIT_MI", "limits.memory", "1Mi"),
        res("EPHEMERAL_REQUEST", "requests.ephemeral-storage"),
        res("SIDE_CPU", "limits.cpu", "100m", "side"),
      ],
    };
    const pod = podWith(c);
    pod.spec.containers.push({ name: "side", resources: { limits: { cpu: "50m" } } });
    const env = await resolveEnv(pod, c, ctxWith(lookup, { nodeAllocatable: { cpu: "2", memory: "4Gi" } }));
    expect(env).toEqual(["CPU_LIMIT=2", "CPU_LIMIT_MILLI=1500", "CPU_REQUEST=1", "MEM_REQUEST_MI=100", "MEM_REQUEST_BYTES=104857600", "MEM_LIMIT_MI=4096", "EPHEMERAL_REQUEST=0", "SIDE_CPU=1"]);
  });

  it("resolves configMapKeyRef and secretKeyRef, reading each object once", async () => {
    const { lookup, reads } = lookupOf({
      configMaps: { "shop/cfg": { data: { mode: "fast", other: "1" } } },
      secrets: { "shop/tok": { data: { token: b64("t0k3n\u00e9") } } },
    });
    const c = {
      name: "app",
      env: [
        { name: "MODE", valueFrom: { configMapKeyRef: { name: "cfg", key: "mode" } } },
        { name: "OTHER", valueFrom: { configMapKeyRef: { name: "cfg", key: "other" } } },
        { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tok", key: "token" } } },
        { name: "OPT_KEY", valueFrom: { configMapKeyRef: { name: "cfg", key: "absent", optional: true } } },
        { name: "OPT_OBJ", valueFrom: { secretKeyRef: { name: "absent", key: "k", optional: true } } },
      ],
    };
    expect(await resolveEnv(podWith(c), c, ctxWith(lookup))).toEqual(["MODE=fast", "OTHER=1", "TOKEN=t0k3n\u00e9"]);
    expect(reads).toEqual(["cm shop/cfg", "secret shop/tok", "secret shop/absent"]);
  });

  it.each([
    [{ configMapKeyRef: { name: "gone", key: "k" } }, 'configmap "gone" not found'],
    [{ configMapKeyRef: { name: "cfg", key: "nokey" } }, "couldn't find key nokey in ConfigMap shop/cfg"],
    [{ secretKeyRef: { name: "gone", key: "k" } }, 'secret "gone" not found'],
    [{ secretKeyRef: { name: "tok", key: "nokey" } }, "couldn't find key nokey in Secret shop/tok"],
    [{ fieldRef: { fieldPath: "spec.containers" } }, "unsupported fieldPath: spec.containers"],
    [{ fieldRef: { apiVersion: "v2", fieldPath: "metadata.name" } }, "unsupported pod version: v2"],
    [{ resourceFieldRef: { resource: "limits.gpu" } }, "unsupported container resource : limits.gpu"],
    [{ resourceFieldRef: { resource: "limits.cpu", containerName: "ghost" } }, "container ghost not found"],
  ])("a missing required reference is a config error: %j", async (valueFrom, message) => {
    const { lookup } = lookupOf({ configMaps: { "shop/cfg": { data: { k: "v" } } }, secrets: { "shop/tok": { data: { k: b64("hunter2") } } } });
    const c = { name: "app", env: [{ name: "X", valueFrom }] };
    const err = await resolveEnv(podWith(c), c, ctxWith(lookup)).catch((e) => e);
    expect(err).toBeInstanceOf(ContainerConfigError);
    expect(err.message).toBe(message);
    expect(err.message).not.toContain("hunter2");
  });

  it("a missing required envFrom source is a config error", async () => {
    const { lookup } = lookupOf({});
    const c = { name: "app", envFrom: [{ secretRef: { name: "db" } }] };
    await expect(resolveEnv(podWith(c), c, ctxWith(lookup))).rejects.toThrow(new ContainerConfigError('secret "db" not found'));
  });
});
