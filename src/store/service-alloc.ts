/**
 * Cluster IP and node port allocation for Services, inside the cluster object (upstream's
 * service REST storage allocators). Choosing happens before a write, on the object about to be
 * stored; recording happens in the write's own transaction, from what was committed. So a
 * refused or dry-run write allocates nothing, a deletion (after its finalizers) releases
 * everything, and the object's single thread makes concurrent creates pick distinct values.
 */
import { errors, type StatusCause } from "../api/status";
import { GoValue, goStringSlice, invalid } from "../resources/kinds/field-errors";
import { isHeadless, needsClusterIP, needsHealthCheckNodePort, needsNodePorts, NODE_PORT_RANGE } from "../resources/kinds/service";
import { findResource, type ResourceType } from "../resources/registry";
import type { ObjectStore, WriteHooks } from "./objects";
import { planNodePorts, planHealthCheckNodePort, type NodePortPlanner } from "./service-alloc-ports";
import { DEFAULT_SERVICE_CIDR, ipv4ToNumber, numberToIpv4, parseServiceCidr, staticBand, type Interval, type ServiceCidr } from "./service-alloc-range";
import { patchAllocatedValues, prepareServiceUpdate } from "./service-alloc-update";
import { AllocationTable, type Allocation } from "./service-alloc-table";
import { readMeta, writeMeta } from "./schema";
import type { Sql } from "./sql";
import type { ChangeEvent } from "./watch-hub";

type Obj = Record<string, any>;

export interface ServiceAllocatorOptions {
  /** The service CIDR (default 10.96.0.0/12); SERVICE_CIDR in the Worker's environment. */
  cidr?: string;
  /** The node port range (default 30000-32767). */
  nodePorts?: Interval;
  random?: () => number;
}

/** Set once the Services stored before this table existed have been recorded in it. */
const ADOPTED_META = "service_alloc_adopted";

function isService(rt: ResourceType): boolean {
  return rt.group === "" && rt.kind === "Service";
}

function ownerOf(svc: Obj): string {
  return `${svc.metadata?.namespace ?? ""}/${svc.metadata?.name ?? ""}`;
}

function refuse(svc: Obj, cause: StatusCause): never {
  throw errors.invalid("Service", "", svc.metadata?.name ?? "", [cause]);
}

/**
 * The Service hooks of the cluster's ObjectStore, and the table they keep.
 * @example
 * const alloc = new ServiceAllocator(sql, { cidr: env.SERVICE_CIDR });
 * const store = new ObjectStore(log, hub, clock, Math.random, onWrite, alloc);
 * // and in onWrite: alloc.onWrite(rt, events)
 */
export class ServiceAllocator implements WriteHooks {
  readonly cidr: ServiceCidr;
  readonly nodePortRange: Interval;
  private readonly table: AllocationTable;

  constructor(
    private readonly sql: Sql,
    opts: ServiceAllocatorOptions = {},
  ) {
    this.cidr = parseServiceCidr(opts.cidr || DEFAULT_SERVICE_CIDR);
    this.nodePortRange = opts.nodePorts ?? NODE_PORT_RANGE;
    this.table = new AllocationTable(sql, opts.random ?? Math.random);
  }

  beforeCreate(rt: ResourceType, svc: Obj): void {
    if (!isService(rt)) return;
    svc.spec ??= {};
    if (needsClusterIP(svc)) this.assignClusterIP(svc);
    const ports = this.portPlanner(ownerOf(svc));
    if (needsNodePorts(svc)) planNodePorts(svc, undefined, ports);
    if (needsHealthCheckNodePort(svc)) planHealthCheckNodePort(svc, undefined, ports);
    // Upstream stores an empty load-balancer status from the start.
    svc.status = { loadBalancer: {}, ...(svc.status ?? {}) };
  }

  beforeUpdate(rt: ResourceType, next: Obj, old: Obj, subresource: string | undefined): void {
    if (!isService(rt) || subresource) return;
    prepareServiceUpdate(next, old);
    patchAllocatedValues(next, old);
    // From ExternalName, or a Service stored before allocation existed: it gets its address now.
    if (needsClusterIP(next) && (!needsClusterIP(old) || !next.spec?.clusterIP)) this.assignClusterIP(next);
    const ports = this.portPlanner(ownerOf(next));
    if (needsNodePorts(next)) planNodePorts(next, old, ports);
    if (needsHealthCheckNodePort(next)) planHealthCheckNodePort(next, old, ports);
  }

  /** Keeps the table equal to what the committed Services hold; runs in the write's transaction. */
  onWrite(rt: ResourceType, events: readonly ChangeEvent[]): void {
    if (!isService(rt)) return;
    for (const ev of events) {
      const svc = JSON.parse(ev.row.value) as Obj;
      this.table.replace(ownerOf(svc), ev.row.deleted ? [] : this.allocationsOf(svc));
    }
  }

  /** Records the Services a store held before allocation existed (once per store). */
  adoptExisting(store: Pick<ObjectStore, "list">): void {
    if (readMeta(this.sql, ADOPTED_META)) return;
    const services = store.list(findResource("", "v1", "services")!, undefined, {}).items.map((i) => JSON.parse(i) as Obj);
    this.sql.transaction(() => {
      for (const svc of services) this.table.add(ownerOf(svc), this.allocationsOf(svc));
      writeMeta(this.sql, ADOPTED_META, "1");
    });
  }

  /** What a stored Service holds. */
  private allocationsOf(svc: Obj): Allocation[] {
    const out: Allocation[] = [];
    const spec = svc.spec ?? {};
    if (needsClusterIP(svc) && !isHeadless(spec)) {
      for (const ip of spec.clusterIPs ?? [spec.clusterIP]) {
        const n = typeof ip === "string" ? ipv4ToNumber(ip) : undefined;
        if (n !== undefined) out.push({ kind: "ip", value: n });
      }
    }
    const ports = new Set<number>();
    if (needsNodePorts(svc)) for (const p of spec.ports ?? []) if (typeof p.nodePort === "number" && p.nodePort > 0) ports.add(p.nodePort);
    if (needsHealthCheckNodePort(svc) && typeof spec.healthCheckNodePort === "number" && spec.healthCheckNodePort > 0) ports.add(spec.healthCheckNodePort);
    for (const value of ports) out.push({ kind: "nodeport", value });
    return out;
  }

  /** Gives a service that needs one its cluster IP: the one asked for, if free, or a new one. */
  private assignClusterIP(svc: Obj): void {
    const spec = svc.spec;
    this.checkIPFamilies(svc);
    if (isHeadless(spec)) {
      spec.clusterIPs = ["None"];
      return;
    }
    const requested: string = spec.clusterIP || (spec.clusterIPs ?? [])[0] || "";
    const asked = () => new GoValue(goStringSlice(spec.clusterIPs ?? [requested]));
    if (requested) {
      const n = ipv4ToNumber(requested);
      if (n === undefined) refuse(svc, invalid("spec.clusterIPs[0]", asked(), "IPv6 is not configured on this cluster"));
      const { min, max } = this.cidr.usable;
      if (n < min || n > max) {
        refuse(svc, invalid("spec.clusterIPs", asked(), `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`));
      }
      const holder = this.table.holder("ip", n);
      if (holder !== undefined && holder !== ownerOf(svc)) refuse(svc, invalid("spec.clusterIPs", asked(), `failed to allocate IP ${requested}: provided IP is already allocated`));
      spec.clusterIP = requested;
      spec.clusterIPs = [requested];
      return;
    }
    const n = this.table.pick("ip", this.cidr.usable, staticBand(this.cidr.usable, 16, 256), new Set());
    if (n === undefined) throw errors.internal("failed to allocate a serviceIP: range is full");
    spec.clusterIP = numberToIpv4(n);
    spec.clusterIPs = [spec.clusterIP];
  }

  /** This cluster is IPv4 single-stack; a selectorless headless service still lists both families, as upstream. */
  private checkIPFamilies(svc: Obj): void {
    const spec = svc.spec;
    const families: string[] = Array.isArray(spec.ipFamilies) && spec.ipFamilies.length ? spec.ipFamilies : ["IPv4"];
    const selectorless = Object.keys(spec.selector ?? {}).length === 0;
    if (isHeadless(spec) && selectorless) {
      if (spec.ipFamilyPolicy !== "SingleStack" && families.length < 2) spec.ipFamilies = [...families, families[0] === "IPv4" ? "IPv6" : "IPv4"];
      return;
    }
    families.forEach((f, i) => {
      if (f !== "IPv4") refuse(svc, invalid(`spec.ipFamilies[${i}]`, f, "not configured on this cluster"));
    });
    if (spec.ipFamilyPolicy === "RequireDualStack") refuse(svc, invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy, "this cluster is not configured for dual-stack services"));
  }

  private portPlanner(owner: string): NodePortPlanner {
    const range = this.nodePortRange;
    const taken = new Set<number>();
    return {
      range,
      holder: (port) => (taken.has(port) ? owner : this.table.holder("nodeport", port)),
      owner,
      take: (port) => void taken.add(port),
      next: () => {
        const n = this.table.pick("nodeport", range, staticBand(range, 32, 128), taken);
        if (n !== undefined) taken.add(n);
        return n;
      },
    };
  }
}
