import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { planLeftoverCleanup, pluginChainNames, splitRuleArgs } from "../../agent/sandbox/iptables-leftovers";
import { KeyedMutex } from "../../agent/sandbox/keyed-mutex";
import { isMountPoint, parseMountPoints } from "../../agent/sandbox/mount-points";
import { SandboxStateStore, type SandboxState } from "../../agent/sandbox/sandbox-state-store";

describe("iptables rule lines", () => {
  it("splits a saved rule, undoing the comment's quoting", () => {
    expect(splitRuleArgs('-A POSTROUTING -s 10.244.250.2/32 -m comment --comment "name: \\"net\\" id: \\"p_1\\"" -j CNI-abc')).toEqual([
      "-A",
      "POSTROUTING",
      "-s",
      "10.244.250.2/32",
      "-m",
      "comment",
      "--comment",
      'name: "net" id: "p_1"',
      "-j",
      "CNI-abc",
    ]);
    expect(splitRuleArgs('-A X ! -d 224.0.0.0/4 --comment "a\\\\b" -j ACCEPT')).toEqual(["-A", "X", "!", "-d", "224.0.0.0/4", "--comment", "a\\b", "-j", "ACCEPT"]);
    expect(splitRuleArgs('--comment ""')).toEqual(["--comment", ""]);
  });

  it("derives the plugins' per-container chain names from network and container id", () => {
    // the names the bridge and portmap plugins printed for this pair on a real host
    expect(pluginChainNames("trialnet", "trial_c1")).toEqual(["CNI-62c613e970b090f9f761c3d0", "CNI-DN-62c613e970b090f9f761c"]);
  });
});

describe("planning the removal of leftover rules", () => {
  const [masq, dnat] = pluginChainNames("flotilla-a", "a_p1");
  const [otherMasq] = pluginChainNames("flotilla-a", "a_p2");
  const [foreignMasq] = pluginChainNames("flotilla-b", "b_p1");
  const comment = (net: string, id: string, dnatPrefix = "") => `"${dnatPrefix}name: \\"${net}\\" id: \\"${id}\\""`;
  const saved = [
    "-P PREROUTING ACCEPT",
    "-P POSTROUTING ACCEPT",
    `-N ${masq}`,
    `-N ${dnat}`,
    `-N ${otherMasq}`,
    `-N ${foreignMasq}`,
    "-N CNI-HOSTPORT-DNAT",
    "-N CNI-HOSTPORT-MASQ",
    "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
    '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
    `-A POSTROUTING -s 10.244.250.2/32 -m comment --comment ${comment("flotilla-a", "a_p1")} -j ${masq}`,
    `-A POSTROUTING -s 10.244.250.3/32 -m comment --comment ${comment("flotilla-a", "a_p2")} -j ${otherMasq}`,
    `-A POSTROUTING -s 10.244.251.2/32 -m comment --comment ${comment("flotilla-b", "b_p1")} -j ${foreignMasq}`,
    `-A ${masq} -d 10.244.250.0/24 -m comment --comment ${comment("flotilla-a", "a_p1")} -j ACCEPT`,
    `-A ${masq} ! -d 224.0.0.0/4 -m comment --comment ${comment("flotilla-a", "a_p1")} -j MASQUERADE`,
    `-A ${dnat} -p tcp -m tcp --dport 18123 -j DNAT --to-destination 10.244.250.2:8080`,
    `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${comment("flotilla-a", "a_p1", "dnat ")} -m multiport --dports 18123 -j ${dnat}`,
    "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE",
  ].join("\n");

  it("finds one sandbox's jump rules and chains, leaving shared chains and other sandboxes alone", () => {
    const plan = planLeftoverCleanup(saved, { networkName: "flotilla-a", containerId: "a_p1" });
    expect([...plan.chains].sort()).toEqual([masq, dnat].sort());
    expect(plan.rules).toEqual([
      ["POSTROUTING", "-s", "10.244.250.2/32", "-m", "comment", "--comment", 'name: "flotilla-a" id: "a_p1"', "-j", masq],
      ["CNI-HOSTPORT-DNAT", "-p", "tcp", "-m", "comment", "--comment", 'dnat name: "flotilla-a" id: "a_p1"', "-m", "multiport", "--dports", "18123", "-j", dnat],
    ]);
  });

  it("finds every sandbox of a network when no container is named", () => {
    const plan = planLeftoverCleanup(saved, { networkName: "flotilla-a" });
    expect([...plan.chains].sort()).toEqual([masq, dnat, otherMasq].sort());
    expect(plan.rules.map((r) => r[0])).toEqual(["POSTROUTING", "POSTROUTING", "CNI-HOSTPORT-DNAT"]);
    expect(JSON.stringify(plan)).not.toContain("flotilla-b");
  });

  it("finds a chain nothing jumps to by its derived name", () => {
    const orphan = [`-N ${masq}`, `-A ${masq} -d 10.244.250.0/24 -j ACCEPT`].join("\n");
    expect(planLeftoverCleanup(orphan, { networkName: "flotilla-a", containerId: "a_p1" })).toEqual({ rules: [], chains: [masq] });
  });

  it("plans nothing when the sandbox left nothing", () => {
    expect(planLeftoverCleanup(saved, { networkName: "flotilla-a", containerId: "a_p9" })).toEqual({ rules: [], chains: [] });
  });
});

describe("mount points", () => {
  it("reads the mount point field and undoes octal escapes", () => {
    const mountinfo = [
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
      "46 27 0:4 uts:[4026532178] /var/lib/agent/sandboxes/p1/uts rw - nsfs nsfs rw",
      "47 27 0:4 net:[4026532180] /run/netns/a\\040b rw shared:5 - nsfs nsfs rw",
      "",
    ].join("\n");
    const points = parseMountPoints(mountinfo);
    expect(points.has("/var/lib/agent/sandboxes/p1/uts")).toBe(true);
    expect(points.has("/run/netns/a b")).toBe(true);
    expect(points.has("/run/netns/a\\040b")).toBe(false);
    expect(points.size).toBe(3);
  });

  it("resolves the parent folder before looking the path up", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mounts-"));
    try {
      const table = join(dir, "mountinfo");
      await writeFile(table, `46 27 0:4 uts:[1] ${dir}/ns rw - nsfs nsfs rw\n`);
      expect(await isMountPoint(join(dir, ".", "ns"), table)).toBe(true);
      expect(await isMountPoint(join(dir, "other"), table)).toBe(false);
      expect(await isMountPoint("/does/not/exist/ns", table)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("sandbox state store", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const state = (id: string): SandboxState => ({
    version: 1,
    id,
    phase: "ready",
    spec: { id, hostname: "h", hostsEntries: [], dns: { nameservers: [], searches: [], options: [] }, portMappings: [] },
    key: `p_${id}`,
    networkConfig: { cniVersion: "1.0.0", name: "flotilla-p", plugins: [] },
    runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 2, protocol: "tcp" }] },
    ip: "10.0.0.2",
  });

  it("round-trips state, lists ids and forgets deleted ones", async () => {
    dir = await mkdtemp(join(tmpdir(), "sandbox-state-"));
    const store = new SandboxStateStore(join(dir, "sandboxes"));
    expect(await store.ids()).toEqual([]);
    expect(await store.read("a")).toBeUndefined();
    await store.write(state("a"));
    await store.write(state("b"));
    expect(await store.read("a")).toEqual(state("a"));
    expect((await store.ids()).sort()).toEqual(["a", "b"]);
    await store.delete("a");
    expect(await store.read("a")).toBeUndefined();
    expect(await store.ids()).toEqual(["b"]);
  });

  it("treats an unreadable file as no state", async () => {
    dir = await mkdtemp(join(tmpdir(), "sandbox-state-"));
    const store = new SandboxStateStore(dir);
    await writeFile(store.fileOf("torn"), '{"version":1,"id":"to');
    await writeFile(store.fileOf("other"), JSON.stringify(state("someone-else")));
    expect(await store.read("torn")).toBeUndefined();
    expect(await store.read("other")).toBeUndefined();
  });
});

describe("keyed mutex", () => {
  it("runs tasks of one key in turn and of different keys together, surviving failures", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let releaseA!: () => void;
    const a1 = mutex.run("a", async () => {
      log.push("a1 start");
      await new Promise<void>((r) => (releaseA = r));
      log.push("a1 end");
      throw new Error("a1 failed");
    });
    const a2 = mutex.run("a", async () => {
      log.push("a2");
      return 2;
    });
    const b = mutex.run("b", async () => {
      log.push("b");
      return "b";
    });
    await b;
    expect(log).toEqual(["a1 start", "b"]);
    releaseA();
    await expect(a1).rejects.toThrow("a1 failed");
    expect(await a2).toBe(2);
    expect(log).toEqual(["a1 start", "b", "a1 end", "a2"]);
  });
});
