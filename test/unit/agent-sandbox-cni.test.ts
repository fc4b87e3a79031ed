import { describe, expect, it } from "vitest";
import type { CommandOptions, CommandResult, CommandRunner } from "../../agent/runtime/command";
import { cniAdd, cniDel, CniPluginError } from "../../agent/sandbox/cni-plugin-chain";
import { podNetworkConfigList, pluginStdinConfig, portMappingsRuntimeConfig } from "../../agent/sandbox/cni-network-config";
import { podIPv4FromResult, type CniResult } from "../../agent/sandbox/cni-result";

const list = podNetworkConfigList({
  networkName: "flotilla-ftest1",
  bridgeName: "fl-ftest1",
  subnet: "10.244.250.0/24",
  gateway: "10.244.250.1",
  ipamDataDir: "/var/lib/agent/cni-ipam",
});

const bridgeResult: CniResult = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "fl-ftest1" }, { name: "veth1" }, { name: "eth0", sandbox: "/var/run/netns/ftest1_p" }],
  ips: [{ interface: 2, address: "10.244.250.2/24", gateway: "10.244.250.1" }],
};

interface Call {
  cmd: string;
  env: Record<string, string>;
  stdin: Record<string, unknown>;
}

/** Answers each plugin from a table and records what it was given. */
function recordingRunner(answers: Record<string, (stdin: Record<string, unknown>) => CommandResult>): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const runner: CommandRunner = {
    async run(cmd: string, _args: string[], opts?: CommandOptions) {
      const stdin = JSON.parse(opts?.input ?? "{}") as Record<string, unknown>;
      calls.push({ cmd, env: opts?.env ?? {}, stdin });
      const type = cmd.split("/").pop() as string;
      return answers[type](stdin);
    },
  };
  return { runner, calls };
}

const ok = (value: unknown): CommandResult => ({ code: 0, stdout: JSON.stringify(value), stderr: "" });
const target = { containerId: "ftest1_p", netnsPath: "/var/run/netns/ftest1_p", ifName: "eth0" };

describe("pod network config list", () => {
  it("is bridge with host-local on the podCIDR, then portmap", () => {
    expect(list).toEqual({
      cniVersion: "1.0.0",
      name: "flotilla-ftest1",
      plugins: [
        {
          type: "bridge",
          bridge: "fl-ftest1",
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: "10.244.250.0/24", gateway: "10.244.250.1" }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: "/var/lib/agent/cni-ipam",
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    });
  });

  it("sets the MTU on the bridge only when asked", () => {
    const withMtu = podNetworkConfigList({ networkName: "n", bridgeName: "b", subnet: "10.0.0.0/24", gateway: "10.0.0.1", ipamDataDir: "/d", mtu: 1400 });
    expect(withMtu.plugins[0].mtu).toBe(1400);
    expect("mtu" in list.plugins[0]).toBe(false);
  });

  it("turns hostPorts into the portMappings capability, dropping an empty hostIP", () => {
    expect(portMappingsRuntimeConfig([])).toEqual({});
    expect(
      portMappingsRuntimeConfig([
        { hostPort: 18080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "" },
        { hostPort: 9000, containerPort: 9000, protocol: "sctp", hostIP: "127.0.0.1" },
      ]),
    ).toEqual({
      portMappings: [
        { hostPort: 18080, containerPort: 80, protocol: "tcp" },
        { hostPort: 5353, containerPort: 53, protocol: "udp" },
        { hostPort: 9000, containerPort: 9000, protocol: "sctp", hostIP: "127.0.0.1" },
      ],
    });
  });

  it("injects runtime values only into plugins that declare the capability", () => {
    const runtime = portMappingsRuntimeConfig([{ hostPort: 1, containerPort: 2, protocol: "tcp" }]);
    const bridge = pluginStdinConfig(list, list.plugins[0], runtime);
    const portmap = pluginStdinConfig(list, list.plugins[1], runtime, bridgeResult);
    expect(bridge).toMatchObject({ type: "bridge", name: "flotilla-ftest1", cniVersion: "1.0.0" });
    expect(bridge).not.toHaveProperty("runtimeConfig");
    expect(bridge).not.toHaveProperty("prevResult");
    expect(portmap.runtimeConfig).toEqual(runtime);
    expect(portmap.prevResult).toEqual(bridgeResult);
    expect(pluginStdinConfig(list, list.plugins[1], {})).not.toHaveProperty("runtimeConfig");
  });
});

describe("CNI result", () => {
  it("takes the IPv4 address of the interface inside the sandbox", () => {
    const result: CniResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "br" }, { name: "eth0", sandbox: "/var/run/netns/x" }],
      ips: [
        { interface: 0, address: "10.244.250.1/24" },
        { interface: 1, address: "fd00::5/64" },
        { interface: 1, address: "10.244.250.5/24" },
      ],
    };
    expect(podIPv4FromResult(result)).toBe("10.244.250.5");
    expect(podIPv4FromResult({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.9/16" }] })).toBe("10.1.0.9");
    expect(podIPv4FromResult({ cniVersion: "1.0.0" })).toBeUndefined();
  });
});

describe("running the plugin chain", () => {
  it("runs ADD in order with the CNI environment, passing each result on", async () => {
    const { runner, calls } = recordingRunner({
      bridge: () => ok(bridgeResult),
      portmap: (stdin) => ok(stdin.prevResult),
    });
    const runtime = portMappingsRuntimeConfig([{ hostPort: 18080, containerPort: 80, protocol: "tcp" }]);
    const result = await cniAdd({ runner, binDir: "/usr/lib/cni" }, list, target, runtime);
    expect(result).toEqual(bridgeResult);
    expect(calls.map((c) => c.cmd)).toEqual(["/usr/lib/cni/bridge", "/usr/lib/cni/portmap"]);
    expect(calls[0].env).toMatchObject({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: "ftest1_p",
      CNI_NETNS: "/var/run/netns/ftest1_p",
      CNI_IFNAME: "eth0",
      CNI_PATH: "/usr/lib/cni",
    });
    expect(calls[0].env.PATH).toBeTruthy();
    expect(calls[1].stdin.prevResult).toEqual(bridgeResult);
    expect(calls[1].stdin.runtimeConfig).toEqual(runtime);
  });

  it("stops ADD at the first failing plugin and reports the plugin's own error", async () => {
    const { runner, calls } = recordingRunner({
      bridge: () => ({ code: 1, stdout: JSON.stringify({ cniVersion: "1.0.0", code: 11, msg: "failed to allocate", details: "range full" }), stderr: "" }),
      portmap: () => ok({}),
    });
    const err = await cniAdd({ runner, binDir: "/cni" }, list, target, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniPluginError);
    expect((err as CniPluginError).code).toBe(11);
    expect((err as Error).message).toContain("bridge");
    expect((err as Error).message).toContain("failed to allocate: range full");
    expect(calls).toHaveLength(1);
  });

  it("falls back to stderr when a plugin prints no error report", async () => {
    const { runner } = recordingRunner({ bridge: () => ({ code: 2, stdout: "", stderr: "exec format error\n" }), portmap: () => ok({}) });
    await expect(cniAdd({ runner, binDir: "/cni" }, list, target, {})).rejects.toThrow(/exec format error/);
  });

  it("runs DEL in reverse order with the saved runtime config and result", async () => {
    const { runner, calls } = recordingRunner({ bridge: () => ok({}), portmap: () => ok({}) });
    const runtime = portMappingsRuntimeConfig([{ hostPort: 18080, containerPort: 80, protocol: "tcp" }]);
    await cniDel({ runner, binDir: "/cni" }, list, target, runtime, bridgeResult);
    expect(calls.map((c) => c.cmd)).toEqual(["/cni/portmap", "/cni/bridge"]);
    expect(calls.every((c) => c.env.CNI_COMMAND === "DEL")).toBe(true);
    expect(calls[0].stdin.runtimeConfig).toEqual(runtime);
    expect(calls[0].stdin.prevResult).toEqual(bridgeResult);
    expect(calls[1].stdin.prevResult).toEqual(bridgeResult);
  });

  it("gives every plugin its DEL even after one fails, then reports the failure", async () => {
    const { runner, calls } = recordingRunner({
      bridge: () => ok({}),
      portmap: () => ({ code: 1, stdout: JSON.stringify({ code: 999, msg: "iptables busy" }), stderr: "" }),
    });
    await expect(cniDel({ runner, binDir: "/cni" }, list, target, {})).rejects.toThrow(/portmap.*iptables busy/);
    expect(calls.map((c) => c.cmd)).toEqual(["/cni/portmap", "/cni/bridge"]);
  });
});
