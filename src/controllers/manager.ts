import type { ResourceType } from "../resources/registry";
import type { ChangeEvent } from "../store/watch-hub";
import type { Change, Controller } from "./controller";
import type { ControllerRuntime } from "./runtime";

/** A committed log row as a Change whose objects are parsed only when a handler reads them. */
function changeOf(rt: ResourceType, ev: ChangeEvent): Change {
  let obj: Record<string, any> | undefined;
  let old: Record<string, any> | undefined;
  return {
    rt,
    created: ev.row.created === 1,
    deleted: ev.row.deleted === 1,
    get obj() {
      return (obj ??= JSON.parse(ev.row.value));
    },
    get old() {
      if (ev.prevValue === undefined) return undefined;
      return (old ??= JSON.parse(ev.prevValue));
    },
  };
}

/**
 * The controllers of one cluster: every committed write goes through their event handlers,
 * inside the write's transaction, and the keys they name land in the persisted queue.
 */
export class ControllerManager {
  constructor(
    private readonly runtime: ControllerRuntime,
    private readonly controllers: readonly Controller[],
  ) {
    for (const c of controllers) runtime.register(c);
  }

  onWrite(rt: ResourceType, events: ChangeEvent[]): void {
    for (const ev of events) {
      const change = changeOf(rt, ev);
      for (const c of this.controllers) for (const key of c.keysFor(change)) this.runtime.enqueue(c.name, key);
    }
  }
}
