import { conversionOf } from "../resources/conversion";
import { storageTypeOf, type ResourceType } from "../resources/registry";
import { attributesOf } from "../auth/request-attributes";
import type { ClusterStore, RequestContext, Result } from "../store/cluster-store";
import type { DeleteOptions, DeleteResult, ListOptions, ListResult, ResourceRef, UpdateOptions, WriteOptions } from "../store/objects";
import type { WatchRequest } from "../store/watch";
import type { ApiContext } from "./context";
import type { ResourcePath } from "./paths";
import { StatusError } from "./status";
import { mapWatchEvents } from "./watch-stream";

export type StoreStub = DurableObjectStub<ClusterStore>;
type Obj = Record<string, any>;

/** The store of the cluster this deployment serves, picked by name. */
export function storeFor(env: Env): StoreStub {
  const name = env.CLUSTER_NAME || "default";
  return env.CLUSTER.get(env.CLUSTER.idFromName(name));
}

export function refOf(rt: ResourceType): ResourceRef {
  return { group: rt.group, version: rt.version, resource: rt.resource };
}

/** A write that loses a race with another writer is re-read and re-applied this often. */
export const MAX_WRITE_ATTEMPTS = 5;

/**
 * Upstream's guaranteed update: runs `attempt` (which re-reads, recomputes and writes) until it
 * does not lose a race. A 409 Conflict is retried unless the write was pinned to a
 * resourceVersion the client named, which is a precondition and must fail.
 */
export async function retryOnConflict<T>(attempt: () => Promise<{ res: Result<T>; pinned: boolean }>): Promise<T> {
  for (let i = 1; ; i++) {
    const { res, pinned } = await attempt();
    if (!res.ok && res.status.code === 409 && res.status.reason === "Conflict" && !pinned && i < MAX_WRITE_ATTEMPTS) continue;
    return unwrap(res);
  }
}

/** Turns an RPC answer back into a value or a thrown StatusError. */
export function unwrap<T>(res: Result<T>): T {
  if (res.ok) return res.value;
  throw StatusError.fromStatus(res.status);
}

/**
 * The store as one resource version sees it: objects go in converted to their storage form and
 * come out in the requested version (events.k8s.io/v1 Events live as core/v1 ones, autoscaling/v1
 * HPAs as v2 ones). Everything else passes through as JSON text, unparsed.
 */
export class ResourceClient {
  readonly storageType: ResourceType;
  private readonly ref: ResourceRef;
  private readonly conversion;

  constructor(
    private readonly stub: StoreStub,
    readonly rt: ResourceType,
    private readonly ctx: RequestContext,
  ) {
    this.ref = refOf(rt);
    this.storageType = storageTypeOf(rt);
    this.conversion = conversionOf(rt);
  }

  /** Converts one stored object's JSON into the requested version. */
  present(json: string): string {
    return this.conversion ? JSON.stringify(this.conversion.fromStorage(JSON.parse(json))) : json;
  }

  private store(obj: Obj): Obj {
    return this.conversion ? this.conversion.toStorage(obj) : obj;
  }

  async get(namespace: string, name: string): Promise<string> {
    return this.present(unwrap((await this.stub.get(this.ref, namespace, name, this.ctx)) as Result<string>));
  }

  async getObject(namespace: string, name: string): Promise<Obj> {
    return JSON.parse(await this.get(namespace, name));
  }

  async list(namespace: string | undefined, opts: ListOptions): Promise<ListResult> {
    const res = unwrap((await this.stub.list(this.ref, namespace, opts, this.ctx)) as Result<ListResult>);
    return this.conversion ? { ...res, items: res.items.map((i) => this.present(i)) } : res;
  }

  async create(obj: Obj, opts: WriteOptions): Promise<string> {
    return this.present(unwrap((await this.stub.create(this.ref, this.store(obj), opts, this.ctx)) as Result<string>));
  }

  /** An update whose failure the caller may want to inspect (to retry a Conflict). */
  async tryUpdate(obj: Obj, opts: UpdateOptions): Promise<Result<string>> {
    const res = (await this.stub.update(this.ref, this.store(obj), opts, this.ctx)) as Result<string>;
    return res.ok ? { ok: true, value: this.present(res.value) } : res;
  }

  async update(obj: Obj, opts: UpdateOptions): Promise<string> {
    return unwrap(await this.tryUpdate(obj, opts));
  }

  async tryRemove(namespace: string, name: string, opts: DeleteOptions): Promise<Result<DeleteResult>> {
    const res = (await this.stub.remove(this.ref, namespace, name, opts, this.ctx)) as Result<DeleteResult>;
    return res.ok ? { ok: true, value: { ...res.value, json: this.present(res.value.json) } } : res;
  }

  async remove(namespace: string, name: string, opts: DeleteOptions): Promise<DeleteResult> {
    return unwrap(await this.tryRemove(namespace, name, opts));
  }

  /** A watch stream with each event's object in the requested version. */
  async watch(req: WatchRequest): Promise<ReadableStream<Uint8Array>> {
    const res = await this.stub.fetch("https://store/watch", { method: "POST", body: JSON.stringify({ ref: this.ref, req, ctx: this.ctx }) });
    if (!res.ok || !res.body) throw StatusError.fromStatus(await res.json());
    const stream = res.body;
    const conversion = this.conversion;
    if (!conversion) return stream;
    return stream.pipeThrough(mapWatchEvents((ev) => (ev.type === "BOOKMARK" || ev.type === "ERROR" ? ev : { type: ev.type, object: conversion.fromStorage(ev.object) })));
  }
}

/** Who asks for what: the user and the request's authorization attributes, sent with every store call. */
export function requestContext(c: ApiContext, p?: ResourcePath): RequestContext {
  const url = new URL(c.req.url);
  const parsed = p && { group: p.rt.group, version: p.rt.version, resource: p.rt.resource, subresource: p.subresource, namespace: p.namespace, name: p.name };
  const user = c.get("user");
  return { user, attrs: { ...attributesOf(c.req.method, url, parsed), user } };
}

/** The client for the resource a request addresses, acting as the request's user. */
export function clientFor(c: ApiContext, p: ResourcePath): ResourceClient {
  return new ResourceClient(storeFor(c.env), p.rt, requestContext(c, p));
}
