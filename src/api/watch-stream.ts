import type { Clock } from "../lib/clock";
import { toTable, type IncludeObject } from "../resources/printers";
import type { ResourceType } from "../resources/registry";

export interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

/** Rewrites a newline-delimited stream of watch events one event at a time. */
export function mapWatchEvents(fn: (ev: WatchEvent) => WatchEvent): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffered = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        controller.enqueue(encoder.encode(JSON.stringify(fn(JSON.parse(line))) + "\n"));
      }
    },
  });
}

/**
 * Each event's object as a one-row Table; only the first event carries the column definitions,
 * as upstream does. BOOKMARK and ERROR events pass unchanged.
 */
export function tableWatchTransform(rt: ResourceType, includeObject: IncludeObject, clock: Clock): TransformStream<Uint8Array, Uint8Array> {
  let first = true;
  return mapWatchEvents((ev) => {
    if (ev.type === "BOOKMARK" || ev.type === "ERROR") return ev;
    const table = toTable(rt, [ev.object], { includeObject, now: new Date(clock.now()), withHeaders: first });
    first = false;
    return { type: ev.type, object: table };
  });
}
