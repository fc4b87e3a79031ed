import { StatusError } from "../../api/status";
import { findResource } from "../../resources/registry";
import { keyOf, splitKey, type Controller } from "../controller";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

export const EVENT_TTL_CONTROLLER = "event-ttl";
/** Upstream's --event-ttl default. */
export const EVENT_TTL_MS = 60 * 60 * 1000;

export interface EventTtlOptions {
  ttlMs?: number;
}

const eventType = findResource("", "v1", "events")!;

/**
 * Deletes Events an hour after they last happened (the apiserver's --event-ttl, which upstream
 * is an etcd lease renewed by every write). Each Event is requeued for exactly its deadline, so
 * an idle cluster only wakes when one expires; a repeat moves the deadline by enqueueing the key
 * again.
 *
 * @example
 * // lastTimestamp 10:00:00, now 10:20:00 → { requeueAfterMs: 2_400_000 }; at 11:00:00 → deleted
 * runtime.register(eventTtlController(view));
 */
export function eventTtlController(view: ClusterView, opts: EventTtlOptions = {}): Controller {
  const ttl = opts.ttlMs ?? EVENT_TTL_MS;
  return {
    name: EVENT_TTL_CONTROLLER,
    keysFor(change) {
      return change.rt.storage === eventType.storage && !change.deleted ? [keyOf(change.obj)] : [];
    },
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const ev = view.get(eventType, namespace, name);
      if (!ev) return;
      const last = lastSeen(ev);
      const remaining = last === undefined ? 0 : last + ttl - view.now();
      if (remaining > 0) return { requeueAfterMs: remaining };
      try {
        view.delete(eventType, namespace, name, { preconditions: { uid: ev.metadata.uid } });
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    },
  };
}

/**
 * When an Event last happened, in ms: the newest of its series' last observation, lastTimestamp,
 * eventTime and creation (events.k8s.io clients set eventTime and series, old ones lastTimestamp).
 */
export function lastSeen(ev: Obj): number | undefined {
  const times = [ev.series?.lastObservedTime, ev.lastTimestamp, ev.eventTime, ev.firstTimestamp, ev.metadata?.creationTimestamp]
    .map((t) => (typeof t === "string" ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}
