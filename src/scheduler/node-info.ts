/**
 * NodeInfo (upstream framework.NodeInfo): a node, the pods bound to it, and the aggregates the
 * plugins read for every node of every cycle, kept current as pods are added and removed so no
 * plugin has to walk the pods: requested resources, host ports in use, the affinity terms the
 * pods carry (grouped, with counts) and the counts of pods matching the counters asked about.
 */
import { addResource, emptyResource, hasAffinity, portKey, resourceFromList, subtractResource, type AffinityTerm, type PodInfo, type Resource, type WeightedAffinityTerm } from "./framework";
import type { PodCounter } from "./pod-counter";

type Obj = Record<string, any>;

/** An image on a node, with how many nodes of the cluster have it (for ImageLocality). */
export interface ImageState {
  size: number;
  numNodes: number;
}

export type TermKind = "requiredAffinity" | "requiredAntiAffinity" | "preferredAffinity" | "preferredAntiAffinity";

/** One distinct pod affinity term carried by pods of a node, and by how many of them. */
export interface TermCount {
  readonly kind: TermKind;
  /** One of the identical terms (they differ in nothing but the pod that carries them). */
  readonly term: AffinityTerm;
  /** The preferred term's weight (0 for required terms). */
  readonly weight: number;
  count: number;
}

const TERM_KINDS: readonly TermKind[] = ["requiredAffinity", "requiredAntiAffinity", "preferredAffinity", "preferredAntiAffinity"];

function termCountKey(kind: TermKind, t: AffinityTerm, weight: number): string {
  return `${kind}\u0000${weight}\u0000${t.topologyKey}\u0000${t.matchKey}`;
}

let generation = 0;

/** A node and the pods bound to it, with the sums the filters and scores need. */
export class NodeInfo {
  node: Obj | undefined;
  name: string;
  labels: Record<string, string> = {};
  taints: Obj[] = [];
  readonly pods: PodInfo[] = [];
  readonly podsWithAffinity: PodInfo[] = [];
  readonly podsWithRequiredAntiAffinity: PodInfo[] = [];
  readonly requested: Resource = emptyResource();
  readonly nonZeroRequested: Resource = emptyResource();
  allocatable: Resource = emptyResource();
  /** "ip/protocol/port" of the host ports in use. */
  readonly usedPorts = new Map<string, number>();
  /** Image name → state; numNodes is filled in by the cache that owns every NodeInfo. */
  imageStates = new Map<string, ImageState>();
  /** The distinct affinity terms of the pods here (the pods' side of InterPodAffinity). */
  readonly affinityTerms = new Map<string, TermCount>();
  /** Counts of the pods here that match each counter asked about so far, kept current. */
  private readonly counts = new Map<PodCounter, number>();
  generation = ++generation;

  constructor(node?: Obj, name?: string) {
    this.name = name ?? node?.metadata?.name ?? "";
    if (node) this.setNode(node);
  }

  setNode(node: Obj): void {
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.allocatable = resourceFromList(node.status?.allocatable);
    const images = new Map<string, ImageState>();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) images.set(n, { size: Number(img.sizeBytes ?? 0), numNodes: 1 });
    }
    this.imageStates = images;
    this.generation = ++generation;
  }

  addPod(p: PodInfo): void {
    this.pods.push(p);
    if (hasAffinity(p)) {
      this.podsWithAffinity.push(p);
      this.countTerms(p, 1);
    }
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.push(p);
    this.account(p, 1);
  }

  /** Removes the pod with this key; returns whether it was there. */
  removePod(key: string): boolean {
    const i = this.pods.findIndex((p) => p.key === key);
    if (i < 0) return false;
    const [p] = this.pods.splice(i, 1);
    for (const list of [this.podsWithAffinity, this.podsWithRequiredAntiAffinity]) {
      const j = list.findIndex((q) => q.key === key);
      if (j >= 0) list.splice(j, 1);
    }
    if (hasAffinity(p)) this.countTerms(p, -1);
    this.account(p, -1);
    return true;
  }

  /**
   * How many pods here the counter matches. The first question about a counter looks at every
   * pod; from then on the count is kept as pods come and go, until the counter is retired.
   */
  countMatching(c: PodCounter): number {
    const kept = this.counts.get(c);
    if (kept !== undefined) return kept;
    let n = 0;
    for (const p of this.pods) if (c.matches(p)) n++;
    if (!c.retired) this.counts.set(c, n);
    return n;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    if (sign > 0) {
      addResource(this.requested, p.requests);
      addResource(this.nonZeroRequested, p.nonZeroRequests);
    } else {
      subtractResource(this.requested, p.requests);
      subtractResource(this.nonZeroRequested, p.nonZeroRequests);
    }
    for (const hp of p.hostPorts) {
      const k = portKey(hp);
      const n = (this.usedPorts.get(k) ?? 0) + sign;
      if (n > 0) this.usedPorts.set(k, n);
      else this.usedPorts.delete(k);
    }
    for (const [c, n] of this.counts) {
      if (c.retired) this.counts.delete(c);
      else if (c.matches(p)) this.counts.set(c, n + sign);
    }
    this.generation = ++generation;
  }

  private countTerms(p: PodInfo, sign: 1 | -1): void {
    for (const kind of TERM_KINDS) {
      for (const t of p[kind] as readonly (AffinityTerm | WeightedAffinityTerm)[]) {
        const weight = "weight" in t ? t.weight : 0;
        const k = termCountKey(kind, t, weight);
        const tc = this.affinityTerms.get(k);
        if (tc) {
          tc.count += sign;
          if (tc.count <= 0) this.affinityTerms.delete(k);
        } else if (sign > 0) this.affinityTerms.set(k, { kind, term: t, weight, count: 1 });
      }
    }
  }

  /** A copy whose pod list and sums can be changed without touching this one. */
  clone(): NodeInfo {
    const c = new NodeInfo(undefined, this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.allocatable = this.allocatable;
    c.imageStates = this.imageStates;
    for (const p of this.pods) c.addPod(p);
    return c;
  }
}
