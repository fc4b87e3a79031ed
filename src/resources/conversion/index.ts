import { storageTypeOf, type ResourceType } from "../registry";
import { eventFromCore, eventToCore } from "./events";
import { hpaToV1, hpaToV2 } from "./hpa";

type Obj = Record<string, any>;

interface Conversion {
  toStorage(obj: Obj): Obj;
  fromStorage(obj: Obj): Obj;
}

const CONVERSIONS: Record<string, Conversion> = {
  "events.k8s.io/v1/events": { toStorage: eventToCore, fromStorage: eventFromCore },
  "autoscaling/v1/horizontalpodautoscalers": { toStorage: hpaToV2, fromStorage: hpaToV1 },
};

/** How objects of `rt` are turned into and out of their storage form; undefined when they are stored as they are. */
export function conversionOf(rt: ResourceType): Conversion | undefined {
  if (storageTypeOf(rt) === rt) return undefined;
  const c = CONVERSIONS[`${rt.group}/${rt.version}/${rt.resource}`];
  if (!c) throw new Error(`no conversion for ${rt.group}/${rt.version} ${rt.resource}`);
  return c;
}
