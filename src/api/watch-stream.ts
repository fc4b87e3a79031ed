import type { Clock } from "../lib/clock";
import { toTable, type IncludeObject } from "../resources/printers";
import type { ResourceType } from "../resources/registry";

/**
 * Rewrites a stream of watch events so each object is a one-row Table; only the first event
 * carries the column definitions, as upstream does. BOOKMARK and ERROR events pass unchanged.
 */
export function tableWatchTransform(rt: ResourceType, includeObject: IncludeObject, clock: Clock): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffered = "";
  let first = true;
  return new TransformStream({
    transform(chunk, controller) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as { type: string; object: Record<string, unknown> };
        if (ev.type === "BOOKMARK" || ev.type === "ERROR") {
          controller.enqueue(encoder.encode(line + "\n"));
          continue;
        }
        const table = toTable(rt, [ev.object], { includeObject, now: new Date(clock.now()), withHeaders: first });
        first = false;
        controller.enqueue(encoder.encode(JSON.stringify({ type: ev.type, object: table }) + "\n"));
      }
    },
  });
}
