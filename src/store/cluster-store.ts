import { DurableObject } from "cloudflare:workers";
import { errors, StatusError, type Status } from "../api/status";
import type { RulesReview } from "../auth/rbac";
import type { Attributes, UserInfo } from "../auth/request-attributes";
import { clusterRoleAggregationController } from "../controllers/clusterrole-aggregation/controller";
import { serviceAccountController } from "../controllers/serviceaccount/controller";
import { findResource } from "../resources/registry";
import { AccessControl, type RequestContext, type TokenLookup } from "./access";
import { eventRecorder } from "../controllers/events/recorder";
import { eventTtlController } from "../controllers/events/ttl";
import { deploymentController } from "../controllers/deployment/controller";
import { replicaSetController } from "../controllers/replicaset/controller";
import { garbageCollector } from "../controllers/gc/controller";
import { ControllerManager } from "../controllers/manager";
import { namespaceController } from "../controllers/namespace/controller";
import { schedulerController } from "../controllers/scheduler/controller";
import { nodeLifecycleController } from "../controllers/nodelifecycle/controller";
import { nodeIpamController } from "../controllers/nodelifecycle/ipam";
import { endpointSliceController } from "../controllers/endpointslice/controller";
import { endpointsController } from "../controllers/endpoints/controller";
import { serviceLoadBalancerController } from "../controllers/service-lb/controller";
import { storeView } from "../controllers/view";
import { WorkQueue } from "../controllers/queue";
import { ControllerRuntime } from "../controllers/runtime";
import { systemClock, type Clock } from "../lib/clock";
import type { ResourceType } from "../resources/registry";
import { bootstrapCluster } from "./bootstrap";
import { ObjectStore, resolveRef, type DeleteOptions, type DeleteResult, type ListOptions, type ListResult, type ResourceRef, type UpdateOptions, type WriteOptions } from "./objects";
import { RevisionLog, type CompactionPolicy } from "./revision-log";
import { migrate } from "./schema";
import { ServiceAllocator } from "./service-alloc";
import { firstServiceIP } from "./service-alloc-range";
import { sqlOf } from "./sql";
import { openWatch, type WatchRequest } from "./watch";
import { WatchHub } from "./watch-hub";

/** An RPC answer: errors travel as Kubernetes Status objects, never as thrown exceptions. */
export type Result<T> = { ok: true; value: T } | { ok: false; status: Status };

export type { RequestContext } from "./access";

const COMPACTION: CompactionPolicy = { maxRevisions: 10_000, maxAgeMs: 15 * 60_000 };
/** Compaction runs after this many writes. */
const COMPACT_EVERY = 500;

/**
 * The cluster store: one per cluster, the role etcd plays. A thin shell — every method delegates
 * to modules that take (sql, clock).
 */
export class ClusterStore extends DurableObject<Env> {
  /** The time source every module here reads; tests swap `time` for a manual clock. */
  private time: Clock = systemClock;
  private readonly clock: Clock = { now: () => this.time.now() };
  private log!: RevisionLog;
  private store!: ObjectStore;
  private hub = new WatchHub();
  private runtime!: ControllerRuntime;
  private queue!: WorkQueue;
  private access!: AccessControl;
  private controllers!: ControllerManager;
  private serviceAllocator!: ServiceAllocator;
  private armedAt: number | null | undefined;
  private writesSinceCompaction = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const sql = sqlOf(ctx.storage);
      migrate(sql);
      this.log = new RevisionLog(sql, this.clock);
      this.queue = new WorkQueue(sql);
      this.runtime = new ControllerRuntime(this.queue, this.clock);
      this.serviceAllocator = new ServiceAllocator(sql, { cidr: env.SERVICE_CIDR });
      this.store = new ObjectStore(
        this.log,
        this.hub,
        this.clock,
        Math.random,
        (rt, evs) => {
          this.access.onWrite(rt);
          this.serviceAllocator.onWrite(rt, evs);
          this.controllers.onWrite(rt, evs);
        },
        this.serviceAllocator,
      );
      this.access = new AccessControl(this.store, this.clock);
      const view = storeView(this.store, this.clock);
      this.controllers = new ControllerManager(this.runtime, [
        namespaceController(this.store, this.log),
        garbageCollector(view),
        eventTtlController(view),
        serviceAccountController(view),
        clusterRoleAggregationController(view),
        replicaSetController(view, { recordEvent: eventRecorder(view, "replicaset-controller") }),
        deploymentController(view, { recordEvent: eventRecorder(view, "deployment-controller") }),
        nodeLifecycleController(view, { gracePeriodMs: Number(env.NODE_MONITOR_GRACE_SECONDS ?? "40") * 1000, recordEvent: eventRecorder(view, "node-controller") }),
        nodeIpamController(view, { recordEvent: eventRecorder(view, "cidrAllocator") }),
        schedulerController(view, { recordEvent: eventRecorder(view, "default-scheduler") }),
        endpointSliceController(view),
        endpointsController(view),
        serviceLoadBalancerController(view),
      ]);
      this.serviceAllocator.adoptExisting(this.store);
      bootstrapCluster(this.store, { kubernetesServiceIP: firstServiceIP(this.serviceAllocator.cidr) });
      this.armedAt = await ctx.storage.getAlarm();
      await this.arm();
    });
  }

  async get(ref: ResourceRef, namespace: string, name: string, ctx: RequestContext): Promise<Result<string>> {
    return this.call((rt) => {
      this.access.check(ctx);
      return this.store.get(rt, namespace, name);
    }, ref);
  }

  async list(ref: ResourceRef, namespace: string | undefined, opts: ListOptions, ctx: RequestContext): Promise<Result<ListResult>> {
    return this.call((rt) => {
      this.access.check(ctx);
      return this.store.list(rt, namespace, opts);
    }, ref);
  }

  async create(ref: ResourceRef, obj: Record<string, unknown>, opts: WriteOptions, ctx: RequestContext): Promise<Result<string>> {
    return this.write((rt) => {
      this.access.check(ctx);
      this.access.admit(ctx, rt, obj, undefined);
      return this.store.create(rt, obj, opts);
    }, ref);
  }

  async update(ref: ResourceRef, obj: Record<string, any>, opts: UpdateOptions, ctx: RequestContext): Promise<Result<string>> {
    return this.write((rt) => {
      this.access.check(ctx);
      const old = this.store.read(rt, obj.metadata?.namespace ?? "", obj.metadata?.name ?? "");
      // A write based on an older revision is a conflict first (as upstream checks the
      // precondition before admission); admission would judge the stale object against a newer
      // one and refuse changes the client never made (a patched Node losing fresh taints).
      const rv: string | undefined = obj.metadata?.resourceVersion || undefined;
      if (old && rv !== undefined && rv !== String(old.rev)) {
        throw errors.conflict(rt.resource, rt.group, obj.metadata.name, "the object has been modified; please apply your changes to the latest version and try again");
      }
      this.access.admit(ctx, rt, obj, old?.obj);
      return this.store.update(rt, obj, opts);
    }, ref);
  }

  async remove(ref: ResourceRef, namespace: string, name: string, opts: DeleteOptions, ctx: RequestContext): Promise<Result<DeleteResult>> {
    return this.write((rt) => {
      this.access.check(ctx);
      this.access.admit(ctx, rt, undefined, this.store.read(rt, namespace, name)?.obj);
      return this.store.delete(rt, namespace, name, opts);
    }, ref);
  }

  /** SelfSubjectAccessReview: may the caller do what `attrs` describe? (Asking needs its own permission.) */
  async review(ctx: RequestContext, attrs: Attributes): Promise<Result<{ allowed: boolean; reason: string }>> {
    return this.guard(() => {
      this.access.check(ctx);
      return this.access.decide(ctx.user, { ...attrs, user: ctx.user });
    });
  }

  /** SelfSubjectRulesReview: what the caller may do in a namespace. */
  async rules(ctx: RequestContext, namespace: string): Promise<Result<RulesReview>> {
    return this.guard(() => {
      this.access.check(ctx);
      return this.access.rules(ctx.user, namespace);
    });
  }

  /** TokenRequest: checks the caller may create a token for the ServiceAccount and returns its uid. */
  async serviceAccountUid(ctx: RequestContext, namespace: string, name: string): Promise<Result<string>> {
    return this.guard(() => {
      this.access.check(ctx);
      const sa = this.store.read(findResource("", "v1", "serviceaccounts")!, namespace, name);
      if (!sa) throw errors.notFound("serviceaccounts", "", name);
      return sa.obj.metadata.uid as string;
    });
  }

  /** The user a static or bootstrap token stands for, from the hashes the Worker computed. */
  async authenticateToken(req: TokenLookup): Promise<UserInfo | null> {
    return this.access.authenticateToken(req);
  }

  /**
   * Watches travel as plain HTTP: POST /watch with `{ref, req, ctx}` answers with the event
   * stream, or with a Status. A fetch body's cancellation reaches the watcher cleanly when the
   * client goes away.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/watch") return new Response("not found", { status: 404 });
    const { ref, req, ctx } = (await request.json()) as { ref: ResourceRef; req: WatchRequest; ctx: RequestContext };
    const res = await this.call((rt) => {
      this.access.check(ctx);
      return openWatch(rt, req, this.log, this.hub, this.store);
    }, ref);
    if (!res.ok) return Response.json(res.status, { status: res.status.code });
    return new Response(res.value, { headers: { "content-type": "application/json" } });
  }

  /** Figures for tests and benchmarks. */
  async stats(): Promise<{
    revision: number;
    compactRevision: number;
    rows: number;
    watchers: number;
    queue: number;
    alarmRuns: number;
    reconciles: Record<string, number>;
    databaseSize: number;
  }> {
    const rows = this.ctx.storage.sql.exec(`SELECT COUNT(*) AS n FROM kv`).one().n as number;
    return {
      revision: this.log.revision,
      compactRevision: this.log.compactRevision,
      rows,
      watchers: this.hub.size,
      queue: this.queue.length,
      alarmRuns: this.runtime.runs,
      reconciles: { ...this.runtime.reconciles },
      databaseSize: this.ctx.storage.sql.databaseSize,
    };
  }

  /** Runs compaction now with the given policy (tests use small windows). */
  async compact(policy: CompactionPolicy = COMPACTION): Promise<number> {
    return this.log.compact(policy);
  }

  override async alarm(): Promise<void> {
    this.armedAt = null;
    try {
      this.runtime.runDue();
    } finally {
      await this.arm();
    }
  }

  private async call<T>(fn: (rt: ResourceType) => T, ref: ResourceRef): Promise<Result<T>> {
    return this.guard(() => fn(resolveRef(ref)));
  }

  private async guard<T>(fn: () => T): Promise<Result<T>> {
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      if (e instanceof StatusError) return { ok: false, status: e.toStatus() };
      throw e;
    }
  }

  private async write<T>(fn: (rt: ResourceType) => T, ref: ResourceRef): Promise<Result<T>> {
    const res = await this.call(fn, ref);
    if (res.ok && ++this.writesSinceCompaction >= COMPACT_EVERY) {
      this.writesSinceCompaction = 0;
      this.log.compact(COMPACTION);
    }
    await this.arm();
    return res;
  }

  /** Keeps exactly one alarm set, at the earliest due queue item; none when the queue is empty. */
  private async arm(): Promise<void> {
    const next = this.queue.nextDue() ?? null;
    if (next === this.armedAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    this.armedAt = next;
  }
}
