/**
 * Events, in both their core/v1 shape (lenient, for old clients) and their events.k8s.io/v1
 * shape (strict: eventTime, reporting controller and instance, action, reason, type).
 */
import type { StatusCause } from "../../api/status";
import { isQualifiedName, isValidPathSegmentName } from "../../lib/names";
import { invalid, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import type { NameRule } from "./metadata";
import { obj, str, type Obj } from "./shape";

const REPORTING_INSTANCE_MAX = 128;
const ACTION_MAX = 128;
const REASON_MAX = 128;
const NOTE_MAX = 1024;

/** core/v1 Events only need a name that fits in a URL path. */
export const coreEventName: NameRule = (name, prefix) => isValidPathSegmentName(name, prefix);

function lengthChecks(o: Obj, field: string, max: number): StatusCause[] {
  const v = str(o[field]);
  return v.length > max ? [invalid(field, "", `can have at most ${max} characters`)] : [];
}

function reportingChecks(o: Obj, controllerField: string, noteField: string): StatusCause[] {
  const out: StatusCause[] = [];
  const controller = str(o[controllerField]);
  if (!controller) out.push(required(controllerField));
  out.push(...isQualifiedName(controller).map((m) => invalid(controllerField, controller, m)));
  if (!str(o.reportingInstance)) out.push(required("reportingInstance"));
  out.push(...lengthChecks(o, "reportingInstance", REPORTING_INSTANCE_MAX));
  if (!str(o.action)) out.push(required("action"));
  out.push(...lengthChecks(o, "action", ACTION_MAX));
  if (!str(o.reason)) out.push(required("reason"));
  out.push(...lengthChecks(o, "reason", REASON_MAX));
  out.push(...lengthChecks(o, noteField, NOTE_MAX));
  return out;
}

function namespaceMatches(ev: Obj, objectField: string, hasEventTime: boolean): StatusCause[] {
  const ns = str(obj(ev.metadata)?.namespace);
  const involvedNs = str(obj(ev[objectField])?.namespace);
  const at = `${objectField}.namespace`;
  if (involvedNs) return involvedNs === ns || hasEventTime ? [] : [invalid(at, involvedNs, "does not match event.namespace")];
  // Events about cluster-scoped objects live in "default" (or, for new-style events, kube-system).
  const allowed = hasEventTime ? ["default", "kube-system"] : ["", "default"];
  return allowed.includes(ns) ? [] : [invalid(at, involvedNs, "does not match event.namespace")];
}

/** Validates a core/v1 Event. */
export function validateCoreEvent(ev: Obj): StatusCause[] {
  const hasEventTime = !!ev.eventTime;
  const out = namespaceMatches(ev, "involvedObject", hasEventTime);
  if (hasEventTime) out.push(...reportingChecks(ev, "reportingComponent", "message"));
  return out;
}

/** Validates an events.k8s.io/v1 Event. */
export function validateEventsV1(ev: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  if (!ev.eventTime) out.push(required("eventTime"));
  const type = str(ev.type);
  if (type !== "Normal" && type !== "Warning") out.push(invalid("type", "", `has invalid value: ${type}`));
  out.push(...namespaceMatches(ev, "regarding", true));
  out.push(...reportingChecks(ev, "reportingController", "note"));
  return out;
}

/** core/v1 Event behaviour. */
export const coreEvent: KindBehaviour = { validate: validateCoreEvent };
/** events.k8s.io/v1 Event behaviour. */
export const eventsV1Event: KindBehaviour = { validate: validateEventsV1 };
