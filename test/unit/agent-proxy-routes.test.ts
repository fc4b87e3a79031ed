import { describe, expect, it } from "vitest";
import { desiredPodRoutes, diffRoutes, parseRoutes } from "../../agent/proxy/route-plan";
import { POD_ROUTE_PROTOCOL, startPodRoutes } from "../../agent/proxy/routes";
import { staticCatalog, type CatalogNode, type ServiceCatalog } from "../../agent/services/catalog";
import { FakeHost } from "./agent-proxy-fake-host";

const node = (name: string, internalIP: string | undefined, podCIDR: string | undefined, ready = true): CatalogNode => ({
  name,
  ready,
  ...(internalIP ? { internalIP } : {}),
  ...(podCIDR ? { podCIDR } : {}),
});

const NODES = [
  node("n1", "192.0.2.2", "10.244.1.0/24"),
  node("n2", "192.0.2.3", "10.244.2.0/24"),
  node("n3", "192.0.2.4", "10.244.3.0/24", false),
  node("n4", "192.0.2.2", "10.244.4.0/24"), // another agent on this machine
  node("n5", "192.0.2.5", undefined),
  node("n6", undefined, "10.244.6.0/24"),
  node("n7", "192.0.2.7", "not-a-cidr"),
  node("n8", "192.0.2.8", "10.244.8.0/24"),
];

describe("the pod route plan", () => {
  it("routes each other Ready node's podCIDR via its InternalIP, skipping nodes on this machine", () => {
    expect(desiredPodRoutes(NODES, "n1", "192.0.2.2")).toEqual([
      { cidr: "10.244.2.0/24", via: "192.0.2.3" },
      { cidr: "10.244.8.0/24", via: "192.0.2.8" },
    ]);
  });

  it("reads `ip route` output and works out what to replace and remove", () => {
    const current = parseRoutes("10.244.2.0/24 via 192.0.2.9 dev eth0 \n10.244.9.0/24 via 192.0.2.10 dev eth0 \n10.244.1.0/24 dev fl-x scope link \n");
    expect(current).toEqual([
      { cidr: "10.244.2.0/24", via: "192.0.2.9" },
      { cidr: "10.244.9.0/24", via: "192.0.2.10" },
    ]);
    expect(diffRoutes(current, desiredPodRoutes(NODES, "n1", "192.0.2.2"))).toEqual({
      replace: [
        { cidr: "10.244.2.0/24", via: "192.0.2.3" },
        { cidr: "10.244.8.0/24", via: "192.0.2.8" },
      ],
      remove: [{ cidr: "10.244.9.0/24", via: "192.0.2.10" }],
    });
  });
});

describe("pod routes kept in step with the nodes", () => {
  const proto = String(POD_ROUTE_PROTOCOL);

  it("adds, changes and removes the routes it owns, and leaves other routes alone", async () => {
    const host = new FakeHost();
    host.routes = [
      { cidr: "10.244.9.0/24", via: "192.0.2.10", proto }, // a node that went while the agent was away
      { cidr: "198.51.100.0/24", via: "192.0.2.1", proto: "boot" },
    ];
    const catalog = staticCatalog([], {}, NODES);
    const routes = startPodRoutes({ catalog, nodeName: "n1", nodeIP: "192.0.2.2", runner: host, debounceMs: 10 });
    await routes.syncNow();
    expect(host.routes).toEqual([
      { cidr: "198.51.100.0/24", via: "192.0.2.1", proto: "boot" },
      { cidr: "10.244.2.0/24", via: "192.0.2.3", proto },
      { cidr: "10.244.8.0/24", via: "192.0.2.8", proto },
    ]);
    catalog.set({ nodes: [node("n1", "192.0.2.2", "10.244.1.0/24"), node("n2", "192.0.2.33", "10.244.2.0/24")] });
    for (let i = 0; i < 100 && !host.routes.some((r) => r.via === "192.0.2.33"); i++) await new Promise((r) => setTimeout(r, 10));
    expect(host.routes.filter((r) => r.proto === proto)).toEqual([{ cidr: "10.244.2.0/24", via: "192.0.2.33", proto }]);
    expect(routes.routes).toEqual([{ cidr: "10.244.2.0/24", via: "192.0.2.33" }]);
    await routes.stop();
    expect(host.routes).toEqual([{ cidr: "198.51.100.0/24", via: "192.0.2.1", proto: "boot" }]);
  });

  it("on stop keeps the routes while another Ready node shares this machine", async () => {
    const host = new FakeHost();
    const routes = startPodRoutes({ catalog: staticCatalog([], {}, NODES), nodeName: "n1", nodeIP: "192.0.2.2", runner: host });
    await routes.syncNow();
    await routes.stop();
    expect(host.routes.map((r) => r.cidr)).toEqual(["10.244.2.0/24", "10.244.8.0/24"]);
  });

  it("does nothing until the nodes have been listed (a node credential that may not read nodes gets no routes)", async () => {
    const host = new FakeHost();
    host.routes = [{ cidr: "10.244.2.0/24", via: "192.0.2.3", proto }];
    const inner = staticCatalog([], {}, []);
    const catalog: ServiceCatalog = { ...inner, synced: true, nodesSynced: false, nodes: inner.nodes, onChange: inner.onChange };
    const routes = startPodRoutes({ catalog, nodeName: "n1", nodeIP: "192.0.2.2", runner: host });
    await routes.syncNow();
    expect(host.calls).toEqual([]);
    expect(host.routes).toHaveLength(1);
    await routes.stop();
    expect(host.routes).toHaveLength(1);
  });
});
