import { describe, expect, it } from "vitest";
import { podFieldValue, resourceFieldValue } from "../../agent/pods/downward-api";
import { goQuote } from "../../agent/pods/go-quote";

describe("goQuote", () => {
  it.each([
    ["plain", '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["tab\tnl\ncr\r", '"tab\\tnl\\ncr\\r"'],
    ["\x07\b\f\v", '"\\a\\b\\f\\v"'],
    ["\x00\x1b\x7f", '"\\x00\\x1b\\x7f"'],
    ["caf\u00e9 \u65e5\u672c", '"caf\u00e9 \u65e5\u672c"'],
    ["\u0085", '"\\u0085"'],
  ])("%j", (input, want) => expect(goQuote(input)).toBe(want));
});

describe("podFieldValue", () => {
  const pod = {
    metadata: { name: "p", namespace: "ns", uid: "u", labels: { zeta: "last", alpha: 'quo"ted', mid: "multi\nline" }, annotations: {} },
    spec: {},
  };

  it("writes a whole label map as sorted key=\"value\" lines", () => {
    expect(podFieldValue(pod, { fieldPath: "metadata.labels" }, {})).toBe('alpha="quo\\"ted"\nmid="multi\\nline"\nzeta="last"');
  });

  it("writes an empty map as an empty string", () => {
    expect(podFieldValue(pod, { fieldPath: "metadata.annotations" }, {})).toBe("");
  });

  it("takes the node name from the node when the pod does not carry it", () => {
    expect(podFieldValue(pod, { fieldPath: "spec.nodeName" }, { nodeName: "n7" })).toBe("n7");
  });

  it("reads pod IPs from the status when the node has none", () => {
    const withStatus = { ...pod, status: { podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }], podIP: "10.0.0.1" } };
    expect(podFieldValue(withStatus, { fieldPath: "status.podIPs" }, {})).toBe("10.0.0.1,fd00::1");
  });
});

describe("resourceFieldValue", () => {
  const pod = { spec: { containers: [{ name: "a", resources: { limits: { memory: "1Gi", "ephemeral-storage": "2G" }, requests: { "hugepages-2Mi": "4Mi" } } }] } };
  const c = pod.spec.containers[0];

  it.each([
    ["limits.memory", undefined, "1073741824"],
    ["limits.memory", "1Mi", "1024"],
    ["limits.memory", "1G", "2"],
    ["limits.ephemeral-storage", "1Gi", "2"],
    ["requests.hugepages-2Mi", "1Mi", "4"],
    ["limits.cpu", "1m", "0"],
  ])("%s / %s = %s", (resource, divisor, want) => expect(resourceFieldValue(pod, c, { resource, divisor })).toBe(want));

  it("uses node allocatable for a limit that is not set", () => {
    expect(resourceFieldValue(pod, c, { resource: "limits.cpu", divisor: "1m" }, { cpu: "3500m" })).toBe("3500");
  });
});

describe("addresses the node does not know yet", () => {
  it("fall back to the pod's status instead of reading as empty", () => {
    const pod = { metadata: {}, spec: {}, status: { podIP: "10.0.0.2", podIPs: [{ ip: "10.0.0.2" }] } };
    expect(podFieldValue(pod, { fieldPath: "status.podIP" }, { podIPs: [undefined as unknown as string] })).toBe("10.0.0.2");
  });
});
