import { apiVersionOf, findKind, findResource } from "../../resources/registry";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

export type EventType = "Normal" | "Warning";

/** Records one occurrence of something that happened to `involved`. Never throws. */
export type RecordEvent = (involved: Obj, type: EventType, reason: string, message: string) => void;

export interface EventRecorderOptions {
  /** reportingInstance (client-go's source.host); "" as kube-controller-manager's controllers leave it. */
  instance?: string;
}

const eventType = findResource("", "v1", "events")!;

/**
 * A core/v1 Event writer like client-go's recorder plus its EventCorrelator. Events go to the
 * involved object's namespace ("default" for cluster-scoped objects) and are named
 * `<involved name>.<16 hex digits>`. The digits hash what upstream aggregates on (involved
 * object, type, reason, message, source), so a repeat finds its Event by name and bumps `count`
 * and `lastTimestamp` instead of creating another. An Event lives until the event-ttl controller
 * removes it, an hour after its last occurrence; the next occurrence starts again at count 1.
 *
 * Recording is best effort, as upstream: a failed write (a terminating namespace, say) is logged
 * and dropped, never failing the caller's reconcile.
 *
 * @example
 * const record = eventRecorder(view, "deployment-controller");
 * record(deploy, "Normal", "ScalingReplicaSet", "Scaled up replica set web-5d4f to 3 from 0");
 */
export function eventRecorder(view: ClusterView, component: string, opts: EventRecorderOptions = {}): RecordEvent {
  const instance = opts.instance ?? "";
  return function recordEvent(involved, type, reason, message) {
    const ref = referenceTo(involved);
    const namespace = ref.namespace || "default";
    const series = [component, instance, ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, type, reason, message].join("\u0000");
    try {
      let name = `${ref.name}.${hex64(series)}`;
      const existing = view.get(eventType, namespace, name);
      if (existing && sameSeries(existing, ref, type, reason, message, component)) {
        existing.count = (existing.count ?? 1) + 1;
        existing.lastTimestamp = view.timestamp();
        view.update(eventType, existing);
        return;
      }
      // A name taken by another series (a hash collision, or a client's own Event): a fresh name.
      if (existing) name = `${ref.name}.${hex64(`${series}\u0000${view.now()}`)}`;
      const now = view.timestamp();
      view.create(eventType, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: ref,
        reason,
        message,
        type,
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: component,
        reportingInstance: instance,
      });
    } catch (e) {
      console.warn(`event ${reason} for ${ref.kind} ${ref.namespace}/${ref.name} dropped: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

/** The involvedObject: an ObjectReference as client-go's reference.GetReference builds it. */
export function referenceTo(obj: Obj): Obj {
  const m = obj.metadata ?? {};
  const rt = obj.apiVersion && obj.kind ? findKind(obj.apiVersion, obj.kind) : undefined;
  const ref: Obj = {
    kind: obj.kind ?? "",
    name: m.name ?? "",
    uid: m.uid ?? "",
    apiVersion: obj.apiVersion ?? (rt ? apiVersionOf(rt) : ""),
  };
  if (m.namespace && rt?.namespaced !== false) ref.namespace = m.namespace;
  if (m.resourceVersion) ref.resourceVersion = m.resourceVersion;
  return ref;
}

function sameSeries(ev: Obj, ref: Obj, type: string, reason: string, message: string, component: string): boolean {
  const io = ev.involvedObject ?? {};
  return io.uid === ref.uid && io.kind === ref.kind && io.name === ref.name && ev.type === type && ev.reason === reason && ev.message === message && ev.source?.component === component;
}

/**
 * 64-bit FNV-1a of a string's UTF-16 code units, as 16 hex digits: short, stable names with
 * the look of upstream's `%x` of a nanosecond timestamp.
 */
export function hex64(s: string): string {
  const prime = 0x100000001b3n;
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, "0");
}
