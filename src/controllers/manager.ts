import type { ResourceType } from "../resources/registry";
import type { ChangeEvent } from "../store/watch-hub";
import type { Change, Controller } from "./controller";
import type { ControllerRuntime } from "./runtime";

/** Stored values carry no resourceVersion; handlers compare it, so it is put back. */
function parseAt(value: string, rev: number): Record<string, any> {
  const obj = JSON.parse(value);
  obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
  return obj;
}

/** A committed log row as a Change whose objects are parsed only when a handler reads them. */
function changeOf(rt: ResourceType, ev: ChangeEvent): Change {
  let obj: Record<string, any> | undefined;
  let old: Record<string, any> | undefined;
  return {
    rt,
    created: ev.row.created === 1,
    deleted: ev.row.deleted === 1,
    get obj() {
      return (obj ??= parseAt(ev.row.value, ev.row.id));
    },
    get old() {
      if (ev.prevValue === undefined) return undefined;
      return (old ??= parseAt(ev.prevValue, ev.row.prev_revision));
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
