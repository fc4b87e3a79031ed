/**
 * A small in-memory API server for the agent's node tests: objects by path, create/get/patch
 * with Kubernetes' status codes, merge patches (lists replaced, which is also what a strategic
 * patch does for the lists these tests look at), and a switch that makes it unreachable.
 */
import { ApiError } from "../../agent/api/api-error";
import type { PatchType } from "../../agent/api/client";

type Obj = Record<string, any>;

export interface FakeCall {
  verb: "get" | "create" | "patch";
  path: string;
  body?: any;
  patchType?: PatchType;
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out: Obj = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const notFound = (path: string) => new ApiError(404, "NotFound", `${path} not found`, { kind: "Status", code: 404, reason: "NotFound" });

export class FakeNodeApi {
  readonly objects = new Map<string, Obj>();
  readonly calls: FakeCall[] = [];
  /** While true, every call fails as a refused connection. */
  down = false;
  private rv = 1;
  private uids = 0;

  private check(): void {
    if (this.down) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8787"), { code: "ECONNREFUSED" });
  }

  /** Stores an object at `path` as if someone else had made it. */
  seed(path: string, obj: Obj): Obj {
    const stored = { ...obj, metadata: { ...obj.metadata, uid: obj.metadata?.uid ?? `uid-${++this.uids}`, resourceVersion: String(++this.rv) } };
    this.objects.set(path, stored);
    return stored;
  }

  async get(path: string): Promise<any> {
    this.calls.push({ verb: "get", path });
    this.check();
    const obj = this.objects.get(path);
    if (!obj) throw notFound(path);
    return structuredClone(obj);
  }

  async create(path: string, body: any): Promise<any> {
    this.calls.push({ verb: "create", path, body: structuredClone(body) });
    this.check();
    const full = `${path}/${body.metadata.name}`;
    if (this.objects.has(full)) throw new ApiError(409, "AlreadyExists", `${full} already exists`, { kind: "Status", code: 409, reason: "AlreadyExists" });
    return structuredClone(this.seed(full, body));
  }

  async patch(path: string, body: any, type: PatchType): Promise<any> {
    this.calls.push({ verb: "patch", path, body: structuredClone(body), patchType: type });
    this.check();
    const target = path.endsWith("/status") ? path.slice(0, -"/status".length) : path;
    const obj = this.objects.get(target);
    if (!obj) throw notFound(target);
    const next = mergePatch(obj, body);
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(target, next);
    return structuredClone(next);
  }
}
