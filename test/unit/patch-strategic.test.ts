import { describe, expect, it } from "vitest";
import { strategicMergePatch } from "../../src/lib/patch";
import { StatusError } from "../../src/api/status";

const DEPLOYMENT = "k8s.io.api.apps.v1.Deployment";
const SERVICE = "k8s.io.api.core.v1.Service";
const NODE = "k8s.io.api.core.v1.Node";
const POD = "k8s.io.api.core.v1.Pod";

type Obj = Record<string, any>;

function deployment(): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      labels: { app: "web", tier: "frontend" },
      annotations: { "deployment.kubernetes.io/revision": "1", "kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n" },
      finalizers: ["example.com/a"],
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "u-1" }],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.25",
              ports: [{ containerPort: 80, protocol: "TCP" }],
              env: [{ name: "A", value: "1" }, { name: "C", value: "3" }],
              args: ["--one", "--two"],
            },
            { name: "sidecar", image: "busybox", command: ["sleep", "3600"] },
          ],
          volumes: [{ name: "data", emptyDir: {} }],
          tolerations: [{ key: "k1", operator: "Exists" }],
        },
      },
    },
    status: { replicas: 2 },
  };
}

const smp = (original: Obj, patch: unknown, message = DEPLOYMENT) => strategicMergePatch(original, patch, message) as Obj;
const containers = (d: Obj) => d.spec.template.spec.containers as Obj[];

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    const s = e as StatusError;
    return { code: s.code, reason: s.reason, message: s.message };
  }
  throw new Error("expected a StatusError");
}

function directiveKeys(v: unknown, path = ""): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => directiveKeys(x, `${path}/${i}`));
  if (v && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => (k.startsWith("$") ? [`${path}/${k}`] : directiveKeys(x, `${path}/${k}`)));
  }
  return [];
}

describe("strategic merge patch: kubectl bodies on a Deployment", () => {
  it("applies the client-side apply update body (merge by name, $setElementOrder)", () => {
    const patch = {
      metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n" } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
            containers: [{ image: "nginx:1.26", name: "nginx" }],
          },
        },
      },
    };
    const out = smp(deployment(), patch);
    expect(out.spec.replicas).toBe(3);
    expect(out.metadata.annotations).toEqual({
      "deployment.kubernetes.io/revision": "1",
      "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":true}\n",
    });
    expect(containers(out).map((c) => c.name)).toEqual(["nginx", "sidecar"]);
    expect(containers(out)[0]).toEqual({ ...deployment().spec.template.spec.containers[0], image: "nginx:1.26" });
    expect(containers(out)[1]).toEqual(deployment().spec.template.spec.containers[1]);
    expect(directiveKeys(out)).toEqual([]);
  });

  it("applies `kubectl set image` without touching the other container", () => {
    const out = smp(deployment(), { spec: { template: { spec: { containers: [{ image: "nginx:1.27", name: "nginx" }] } } } });
    expect(containers(out).map((c) => [c.name, c.image])).toEqual([
      ["nginx", "nginx:1.27"],
      ["sidecar", "busybox"],
    ]);
  });

  it("pauses and resumes: true sets the field, null deletes it", () => {
    const paused = smp(deployment(), { spec: { paused: true } });
    expect(paused.spec.paused).toBe(true);
    const resumed = smp(paused, { spec: { paused: null } });
    expect("paused" in resumed.spec).toBe(false);
    expect(resumed.spec.replicas).toBe(2);
  });

  it("adds the restartedAt annotation to the pod template for `rollout restart`", () => {
    const at = "2025-01-02T03:04:05Z";
    const out = smp(deployment(), { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at } } } } });
    expect(out.spec.template.metadata).toEqual({ labels: { app: "web" }, annotations: { "kubectl.kubernetes.io/restartedAt": at } });
    expect(containers(out)).toEqual(containers(deployment()));
  });

  it("adds and removes env vars by name", () => {
    const added = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "nginx", env: [{ name: "B", value: "2" }, { name: "A", value: "9" }] }] } } } });
    // Patch items keep the patch's order (B, A) and go ahead of server-only C,
    // since B is not live and A precedes C: upstream prepends new elements.
    expect(containers(added)[0].env).toEqual([
      { name: "B", value: "2" },
      { name: "A", value: "9" },
      { name: "C", value: "3" },
    ]);
    const removed = smp(added, {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
            containers: [{ name: "nginx", "$setElementOrder/env": [{ name: "C" }, { name: "B" }], env: [{ $patch: "delete", name: "A" }] }],
          },
        },
      },
    });
    expect(containers(removed)[0].env).toEqual([
      { name: "C", value: "3" },
      { name: "B", value: "2" },
    ]);
  });

  it("deletes a container with $patch: delete", () => {
    const out = smp(deployment(), {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }], containers: [{ $patch: "delete", name: "sidecar" }] } } },
    });
    expect(containers(out).map((c) => c.name)).toEqual(["nginx"]);
  });

  it("merges container ports by containerPort and replaces atomic lists (args, tolerations)", () => {
    const out = smp(deployment(), {
      spec: {
        template: {
          spec: {
            containers: [{ name: "nginx", ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }], args: ["--three"] }],
            tolerations: [{ key: "k2", operator: "Equal", value: "v" }],
          },
        },
      },
    });
    expect(containers(out)[0].ports).toEqual([{ containerPort: 80, protocol: "TCP", name: "http" }, { containerPort: 443 }]);
    expect(containers(out)[0].args).toEqual(["--three"]);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: "k2", operator: "Equal", value: "v" }]);
  });

  it("replaces a volume source under retainKeys", () => {
    const out = smp(deployment(), {
      spec: {
        template: {
          spec: {
            "$setElementOrder/volumes": [{ name: "data" }],
            volumes: [{ $retainKeys: ["hostPath", "name"], hostPath: { path: "/srv", type: "" }, name: "data" }],
          },
        },
      },
    });
    expect(out.spec.template.spec.volumes).toEqual([{ name: "data", hostPath: { path: "/srv", type: "" } }]);
  });

  it("switches the deployment strategy with $retainKeys", () => {
    const out = smp(deployment(), { spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null } } });
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("without $retainKeys a strategy change merges (keeping rollingUpdate)", () => {
    const out = smp(deployment(), { spec: { strategy: { type: "Recreate" } } });
    expect(out.spec.strategy).toEqual({ type: "Recreate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
  });
});

describe("strategic merge patch: metadata", () => {
  it("merges labels and annotations by key; null removes a key and is dropped when absent", () => {
    const out = smp(deployment(), { metadata: { labels: { tier: null, env: "prod" }, annotations: { "not-there": null } } });
    expect(out.metadata.labels).toEqual({ app: "web", env: "prod" });
    expect(out.metadata.annotations).toEqual(deployment().metadata.annotations);
  });

  it("merges finalizers as a set and removes with $deleteFromPrimitiveList", () => {
    const added = smp(deployment(), { metadata: { finalizers: ["example.com/b", "example.com/a"] } });
    expect(added.metadata.finalizers).toEqual(["example.com/b", "example.com/a"]);
    const removed = smp(added, { metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/a"] } });
    expect(removed.metadata.finalizers).toEqual(["example.com/b"]);
    const ordered = smp(deployment(), { metadata: { "$setElementOrder/finalizers": ["example.com/c", "example.com/a"], finalizers: ["example.com/c"] } });
    expect(ordered.metadata.finalizers).toEqual(["example.com/c", "example.com/a"]);
  });

  it("merges ownerReferences by uid", () => {
    const out = smp(deployment(), {
      metadata: { ownerReferences: [{ uid: "u-1", controller: true }, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u-2" }] },
    });
    expect(out.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "u-1", controller: true },
      { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u-2" },
    ]);
  });
});

describe("strategic merge patch: other kinds", () => {
  it("merges Service ports by port", () => {
    const svc = {
      metadata: { name: "web" },
      spec: {
        selector: { app: "web" },
        ports: [
          { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
          { name: "https", port: 443, protocol: "TCP", targetPort: 8443 },
        ],
      },
    };
    const out = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, SERVICE);
    expect(out.spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 9090 },
      { name: "https", port: 443, protocol: "TCP", targetPort: 8443 },
    ]);
  });

  it("cordons and uncordons a Node", () => {
    const node = { metadata: { name: "n1" }, spec: { podCIDR: "10.0.0.0/24" } };
    const cordoned = smp(node, { spec: { unschedulable: true } }, NODE);
    expect(cordoned.spec).toEqual({ podCIDR: "10.0.0.0/24", unschedulable: true });
    expect(smp(cordoned, { spec: { unschedulable: null } }, NODE).spec).toEqual({ podCIDR: "10.0.0.0/24" });
  });

  it("finds merge keys in inline members (ephemeral containers' env)", () => {
    const pod = { spec: { containers: [{ name: "app" }], ephemeralContainers: [{ name: "debug", env: [{ name: "A", value: "1" }] }] } };
    const out = smp(pod, { spec: { ephemeralContainers: [{ name: "debug", env: [{ name: "B", value: "2" }] }] } }, POD);
    // Merged (not replaced): A survives; the new B goes first, as upstream orders new elements.
    expect(out.spec.ephemeralContainers[0].env).toEqual([
      { name: "B", value: "2" },
      { name: "A", value: "1" },
    ]);
  });

  it("uses merge-patch semantics where the schema is unknown", () => {
    const obj = { spec: { custom: { a: { b: 1 }, list: [1, 2] } } };
    const out = smp(obj, { spec: { custom: { a: { c: 2 }, list: [3] } } }, "example.com.v1.Unknown");
    expect(out.spec.custom).toEqual({ a: { b: 1, c: 2 }, list: [3] });
  });
});

describe("strategic merge patch: directives", () => {
  it("orders a merged list by $setElementOrder, weaving unmentioned live elements by live order", () => {
    const live = deployment();
    const out = smp(live, {
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "sidecar" }, { name: "logger" }, { name: "nginx" }],
            containers: [{ name: "logger", image: "fluentbit" }],
          },
        },
      },
    });
    expect(containers(out).map((c) => c.name)).toEqual(["sidecar", "logger", "nginx"]);

    const three = { spec: { template: { spec: { containers: [{ name: "a" }, { name: "b" }, { name: "c" }] } } } };
    // b is not mentioned: it keeps its place relative to the live order (before c), as upstream does.
    const reordered = smp(three, { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "c" }, { name: "a" }] } } } });
    expect(containers(reordered).map((c) => c.name)).toEqual(["b", "c", "a"]);
  });

  it("$patch: replace on a map replaces it; on a list element replaces the list", () => {
    const out = smp(deployment(), { spec: { selector: { $patch: "replace", matchLabels: { app: "web2" } } } });
    expect(out.spec.selector).toEqual({ matchLabels: { app: "web2" } });
    const labels = smp(deployment(), { metadata: { labels: { $patch: "replace", only: "this" } } });
    expect(labels.metadata.labels).toEqual({ only: "this" });
    const list = smp(deployment(), { spec: { template: { spec: { containers: [{ name: "solo", image: "x" }, { $patch: "replace" }] } } } });
    expect(containers(list)).toEqual([{ name: "solo", image: "x" }]);
  });

  it("$patch: delete on a map empties it; $patch: merge merges", () => {
    expect(smp(deployment(), { spec: { strategy: { $patch: "delete" } } }).spec.strategy).toEqual({});
    expect(smp(deployment(), { metadata: { labels: { $patch: "merge", env: "x" } } }).metadata.labels).toEqual({ app: "web", tier: "frontend", env: "x" });
  });

  it("keeps directives out of values that had nothing to merge into", () => {
    const bare = { metadata: { name: "web" }, spec: {} };
    const out = smp(bare, {
      spec: {
        strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null },
        template: {
          metadata: { labels: { app: "web", gone: null } },
          spec: {
            "$setElementOrder/containers": [{ name: "nginx" }],
            containers: [{ name: "nginx", image: "nginx", env: [{ name: "X", value: "1" }, { name: "Y", $patch: "delete" }] }],
          },
        },
      },
    });
    expect(directiveKeys(out)).toEqual([]);
    expect(out.spec).toEqual({
      strategy: { type: "Recreate" },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx", env: [{ name: "X", value: "1" }] }] } },
    });
  });
});

describe("strategic merge patch: inputs and errors", () => {
  it("never mutates the original or aliases the patch", () => {
    const live = deployment();
    const patch = { spec: { template: { spec: { containers: [{ name: "new", image: "x", env: [{ name: "E", value: "1" }] }] } } } };
    const out = smp(live, patch);
    expect(live).toEqual(deployment());
    expect(containers(out).map((c) => c.name)).toEqual(["new", "nginx", "sidecar"]);
    containers(out)[0].env[0].value = "changed";
    expect(patch.spec.template.spec.containers[0].env[0].value).toBe("1");
    out.metadata.labels.app = "changed";
    expect(live.metadata.labels.app).toBe("web");
  });

  it("treats a null patch as no change", () => {
    expect(smp(deployment(), null)).toEqual(deployment());
  });

  it("answers 400 for a body that is not an object and for malformed directives", () => {
    expect(statusOf(() => smp(deployment(), [{ op: "add" }]))).toEqual({
      code: 400,
      reason: "BadRequest",
      message: "json: cannot unmarshal array into Go value of type map[string]interface {}",
    });
    expect(statusOf(() => smp(deployment(), { spec: { strategy: { $retainKeys: "type" } } })).code).toBe(400);
    expect(statusOf(() => smp(deployment(), { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: {} } } })).message).toBe(
      "invalid patch format of retainKeys",
    );
    expect(statusOf(() => smp(deployment(), { metadata: { $setElementOrderfinalizers: [] } })).message).toBe(
      "invalid patch format of setElementOrder list",
    );
    expect(statusOf(() => smp(deployment(), { metadata: { "$deleteFromPrimitiveList/finalizers": "x" } })).message).toBe(
      "invalid patch format of primitive list",
    );
  });

  it("answers 500 where the merge itself fails, as apiserver does", () => {
    const noKey = statusOf(() => smp(deployment(), { spec: { template: { spec: { containers: [{ image: "x" }] } } } }));
    expect(noKey.code).toBe(500);
    expect(noKey.message).toContain("does not contain declared merge key: name");
    expect(statusOf(() => smp(deployment(), { spec: { strategy: { $patch: "bogus" } } })).message).toContain("unknown patch type: bogus");
    const order = statusOf(() =>
      smp(deployment(), {
        spec: { template: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }], containers: [{ name: "nginx", image: "x" }] } } },
      }),
    );
    expect(order.code).toBe(500);
    expect(order.message).toContain("doesn't match $setElementOrder list");
  });

  it("answers 422 for lists of lists in a merging list", () => {
    const s = statusOf(() => smp(deployment(), { metadata: { finalizers: [["nested"]] } }));
    expect([s.code, s.reason]).toEqual([422, "Invalid"]);
  });
});
