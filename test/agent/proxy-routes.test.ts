// Pod routes in the host's real routing table. Needs root and iproute2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPodRoutes, type PodRoutes } from "../../agent/proxy/routes";
import { spawnRunner } from "../../agent/runtime/command";
import { staticCatalog, type CatalogNode, type StaticCatalog } from "../../agent/services/catalog";

// A protocol tag of the test's own, so a real agent on this machine is never disturbed.
const PROTO = 213;
const REMOTE_CIDR = "10.244.245.0/24";
const OTHER_CIDR = "10.244.244.0/24";

let gateway: string;
let hostIP: string;
let catalog: StaticCatalog;
let routes: PodRoutes | undefined;

async function sh(...args: string[]): Promise<string> {
  const r = await spawnRunner.run(args[0], args.slice(1));
  if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function tagged(): Promise<string> {
  return (await sh("ip", "-4", "route", "show", "proto", String(PROTO))).trim();
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function removeTagged(): Promise<void> {
  for (const line of (await tagged()).split("\n").filter(Boolean)) await sh("ip", "-4", "route", "del", ...line.trim().split(/\s+/), "proto", String(PROTO));
}

function nodes(remoteReady: boolean): CatalogNode[] {
  return [
    { name: "here", podCIDR: "10.244.243.0/24", internalIP: hostIP, ready: true },
    { name: "neighbour", podCIDR: OTHER_CIDR, internalIP: hostIP, ready: true },
    { name: "remote", podCIDR: REMOTE_CIDR, internalIP: gateway, ready: remoteReady },
  ];
}

beforeAll(async () => {
  // The uplink's gateway stands in for another node on the same L2 segment.
  const def = await sh("ip", "-4", "route", "show", "default");
  gateway = /via (\S+)/.exec(def)![1];
  hostIP = /src (\S+)/.exec(await sh("ip", "-4", "route", "get", gateway))![1];
  await removeTagged();
});

afterAll(async () => {
  await routes?.stop();
  await removeTagged();
});

describe("pod routes on the host", () => {
  it("routes a remote Ready node's podCIDR via its InternalIP, and none for nodes on this machine", async () => {
    catalog = staticCatalog([], {}, nodes(true));
    routes = startPodRoutes({ catalog, nodeName: "here", nodeIP: hostIP, protocol: PROTO, debounceMs: 10 });
    await routes.syncNow();
    expect(await tagged()).toBe(`${REMOTE_CIDR} via ${gateway} dev ${(await sh("ip", "-4", "route", "get", gateway)).match(/dev (\S+)/)![1]}`);
    expect(await sh("ip", "-4", "route", "get", "10.244.245.7")).toContain(`via ${gateway}`);
  });

  it("removes the route when the node stops being Ready, and adds it back when it is", async () => {
    catalog.set({ nodes: nodes(false) });
    await until(async () => (await tagged()) === "", "the route to go");
    catalog.set({ nodes: nodes(true) });
    await until(async () => (await tagged()).startsWith(REMOTE_CIDR), "the route to come back");
  });

  it("keeps the routes on stop while another agent of this machine is Ready, and removes them otherwise", async () => {
    await routes!.stop();
    expect(await tagged()).toContain(REMOTE_CIDR);
    catalog.set({ nodes: nodes(true).filter((n) => n.name !== "neighbour") });
    routes = startPodRoutes({ catalog, nodeName: "here", nodeIP: hostIP, protocol: PROTO });
    await routes.syncNow();
    await routes.stop();
    routes = undefined;
    expect(await tagged()).toBe("");
  });
});
