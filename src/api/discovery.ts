import { Hono } from "hono";
import { apiGroups, resourcesIn, type ResourceType } from "../resources/registry";

/** Groups served outside the resource registry (reviews and tokens come with authentication). */
const VERSION_INFO = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-flotilla",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-11-27T00:00:00Z",
  goVersion: "go1.23.0",
  compiler: "gc",
  platform: "linux/amd64",
};

const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && /g=apidiscovery\.k8s\.io/.test(accept) && /as=APIGroupDiscoveryList/.test(accept);
}

function resourceDiscovery(rt: ResourceType) {
  const out: Record<string, unknown> = {
    resource: rt.resource,
    responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
    scope: rt.namespaced ? "Namespaced" : "Cluster",
    singularResource: rt.singular,
    verbs: rt.verbs,
  };
  if (rt.shortNames.length) out.shortNames = rt.shortNames;
  if (rt.categories.length) out.categories = rt.categories;
  if (rt.subresources.length) {
    out.subresources = rt.subresources.map((s) => ({
      subresource: s.name,
      responseKind: s.responseKind ?? { group: rt.group, version: rt.version, kind: rt.kind },
      verbs: s.verbs,
    }));
  }
  return out;
}

function groupDiscovery(name: string, versions: string[]) {
  return {
    metadata: { name },
    versions: versions.map((v) => ({ version: v, resources: resourcesIn(name, v).map(resourceDiscovery), freshness: "Current" })),
  };
}

function legacyResourceList(group: string, version: string) {
  const resources: Record<string, unknown>[] = [];
  for (const rt of resourcesIn(group, version)) {
    const entry: Record<string, unknown> = { name: rt.resource, singularName: rt.singular, namespaced: rt.namespaced, kind: rt.kind, verbs: rt.verbs };
    if (rt.shortNames.length) entry.shortNames = rt.shortNames;
    if (rt.categories.length) entry.categories = rt.categories;
    resources.push(entry);
    for (const s of rt.subresources) {
      const sub: Record<string, unknown> = { name: `${rt.resource}/${s.name}`, singularName: "", namespaced: rt.namespaced, kind: s.responseKind?.kind ?? rt.kind, verbs: s.verbs };
      if (s.responseKind && s.responseKind.group !== rt.group) {
        sub.group = s.responseKind.group;
        sub.version = s.responseKind.version;
      }
      resources.push(sub);
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

function legacyGroup(name: string, versions: string[]) {
  const gv = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

/** /version, /api, /apis and the per-group documents, in both the aggregated and legacy forms. */
export function discoveryRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/version", (c) => c.json(VERSION_INFO));
  for (const p of ["/healthz", "/livez", "/readyz"]) app.get(p, (c) => c.text("ok"));

  app.get("/api", (c) => {
    const groups = apiGroups().filter((g) => g.name === "");
    if (wantsAggregated(c.req.header("accept"))) {
      return c.body(JSON.stringify({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items: groups.map((g) => groupDiscovery(g.name, g.versions)) }), 200, {
        "content-type": AGGREGATED,
      });
    }
    const host = c.req.header("host") ?? "";
    return c.json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }] });
  });

  app.get("/apis", (c) => {
    const groups = apiGroups().filter((g) => g.name !== "");
    if (wantsAggregated(c.req.header("accept"))) {
      return c.body(JSON.stringify({ kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items: groups.map((g) => groupDiscovery(g.name, g.versions)) }), 200, {
        "content-type": AGGREGATED,
      });
    }
    return c.json({ kind: "APIGroupList", apiVersion: "v1", groups: groups.map((g) => legacyGroup(g.name, g.versions)) });
  });

  app.get("/api/v1", (c) => c.json(legacyResourceList("", "v1")));
  app.get("/apis/:group", (c) => {
    const g = apiGroups().find((x) => x.name === c.req.param("group") && x.name !== "");
    if (!g) return c.notFound();
    return c.json({ kind: "APIGroup", apiVersion: "v1", ...legacyGroup(g.name, g.versions) });
  });
  app.get("/apis/:group/:version", (c) => {
    const { group, version } = c.req.param();
    if (!resourcesIn(group, version).length) return c.notFound();
    return c.json(legacyResourceList(group, version));
  });
  return app;
}

