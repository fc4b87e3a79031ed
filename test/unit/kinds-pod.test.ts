import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { defaultAndValidate } from "../../src/resources/kinds/index";
import { defaultPullPolicy } from "../../src/resources/kinds/pod-spec-defaults";
import { findKind } from "../../src/resources/registry";

const POD = findKind("v1", "Pod")!;

function run(obj: Record<string, unknown>, old?: Record<string, unknown>): string[] {
  try {
    defaultAndValidate(POD, obj, old);
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
}

function pod(spec: Record<string, unknown>): Record<string, any> {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec };
}

const c = (extra: Record<string, unknown> = {}) => ({ name: "app", image: "nginx:1.27", ...extra });

describe("pod defaults", () => {
  it("fills what a real cluster shows after create", () => {
    const p = pod({
      containers: [c({ ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: "0.5", memory: "1024Mi" } } })],
    });
    expect(run(p)).toEqual([]);
    expect(p.spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
      priority: 0,
      serviceAccountName: "default",
    });
    const ctr = p.spec.containers[0];
    expect(ctr).toMatchObject({ imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" });
    expect(ctr.ports[0]).toEqual({ containerPort: 80, protocol: "TCP" });
    expect(ctr.readinessProbe).toEqual({ httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(ctr.resources).toEqual({ limits: { cpu: "500m", memory: "1Gi" }, requests: { cpu: "500m", memory: "1Gi" } });
    expect(p.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
  });

  it("gives a container with no resources an empty resources object", () => {
    const p = pod({ containers: [c()] });
    run(p);
    expect(p.spec.containers[0].resources).toEqual({});
  });

  it.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    ["registry:5000/team/app", "Always"],
    ["registry:5000/team/app:v2", "IfNotPresent"],
    ["nginx@sha256:abc", "IfNotPresent"],
  ])("pull policy of %s is %s", (image, want) => expect(defaultPullPolicy(image)).toBe(want));

  it("keeps explicit values", () => {
    const p = pod({ restartPolicy: "Never", terminationGracePeriodSeconds: 0, containers: [c({ imagePullPolicy: "Never" })] });
    run(p);
    expect(p.spec.restartPolicy).toBe("Never");
    expect(p.spec.terminationGracePeriodSeconds).toBe(0);
    expect(p.spec.containers[0].imagePullPolicy).toBe("Never");
  });
});

describe("pod validation", () => {
  it.each([
    ["no containers", { containers: [] }, ["spec.containers: Required value"]],
    ["no image", { containers: [{ name: "app" }] }, ["spec.containers[0].image: Required value"]],
    [
      "a bad container name",
      { containers: [c({ name: "App_1" })] },
      [expect.stringMatching(/^spec.containers\[0\].name: Invalid value: "App_1": a lowercase RFC 1123 label must consist/)],
    ],
    ["duplicate container names", { initContainers: [c()], containers: [c()] }, ['spec.containers[0].name: Duplicate value: "app"']],
    ["a port out of range", { containers: [c({ ports: [{ containerPort: 70000 }] })] }, ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"]],
    ["a missing containerPort", { containers: [c({ ports: [{ name: "http" }] })] }, ["spec.containers[0].ports[0].containerPort: Required value"]],
    [
      "a bad protocol",
      { containers: [c({ ports: [{ containerPort: 80, protocol: "HTTP" }] })] },
      ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    ["a bad restart policy", { restartPolicy: "Sometimes", containers: [c()] }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    [
      "requests above limits",
      { containers: [c({ resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } })] },
      ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      "a malformed quantity",
      { containers: [c({ resources: { limits: { memory: "lots" } } })] },
      [`spec.containers[0].resources.limits[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`],
    ],
    ["a negative quantity", { containers: [c({ resources: { requests: { cpu: "-1" } } })] }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0']],
    [
      "a non-standard resource (requests defaulted from limits are checked too)",
      { containers: [c({ resources: { limits: { gpu: "1" } } })] },
      [
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      ],
    ],
    ["a probe without handler", { containers: [c({ livenessProbe: { periodSeconds: 5 } })] }, ["spec.containers[0].livenessProbe: Required value: must specify a handler type"]],
    ["a mount of an unknown volume", { containers: [c({ volumeMounts: [{ name: "data", mountPath: "/d" }] })] }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
    ["a valid pod with volumes", { volumes: [{ name: "data" }], containers: [c({ volumeMounts: [{ name: "data", mountPath: "/d" }] })] }, []],
  ])("%s", (_, spec, want) => expect(run(pod(spec))).toEqual(want));

  it("allows image changes on update but not other spec changes", () => {
    const old = pod({ containers: [c()] });
    run(old);
    const newImage = structuredClone(old);
    newImage.spec.containers[0].image = "nginx:1.28";
    expect(run(newImage, old)).toEqual([]);
    const newPort = structuredClone(old);
    newPort.spec.containers[0].ports = [{ containerPort: 81 }];
    expect(run(newPort, old)).toEqual([expect.stringMatching(/^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/)]);
  });
});
