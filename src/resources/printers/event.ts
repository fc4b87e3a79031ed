/**
 * Event rows. core/v1 and events.k8s.io/v1 Events are one object in two spellings, and
 * upstream prints both through the same printer, so the events.k8s.io names (regarding,
 * note, deprecated*) are read as their core equivalents first.
 */
import { col, wide, type Printer } from "./columns";
import { int, rec, str, type Obj } from "./object-access";
import { since } from "./timestamps";

interface CoreEventView {
  name: string;
  involved: Obj;
  type: string;
  reason: string;
  message: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series?: Obj;
  source: Obj;
  reportingController: string;
  reportingInstance: string;
}

function coreView(ev: Obj): CoreEventView {
  const pick = (a: string, b: string): unknown => (ev[a] !== undefined && ev[a] !== null ? ev[a] : ev[b]);
  const series = pick("series", "series");
  return {
    name: str(rec(ev.metadata).name),
    involved: rec(pick("involvedObject", "regarding")),
    type: str(ev.type),
    reason: str(ev.reason),
    message: str(pick("message", "note")),
    firstTimestamp: pick("firstTimestamp", "deprecatedFirstTimestamp"),
    lastTimestamp: pick("lastTimestamp", "deprecatedLastTimestamp"),
    eventTime: ev.eventTime,
    count: int(pick("count", "deprecatedCount")),
    series: series === undefined || series === null ? undefined : rec(series),
    source: rec(pick("source", "deprecatedSource")),
    reportingController: str(pick("reportingComponent", "reportingController")),
    reportingInstance: str(ev.reportingInstance),
  };
}

/** "component, host", falling back to the reporting controller and instance. */
function sourceCell(ev: CoreEventView): string {
  const component = str(ev.source.component) || ev.reportingController;
  const host = str(ev.source.host) || ev.reportingInstance;
  return host ? `${component}, ${host}` : component;
}

/** core/v1 and events.k8s.io/v1 events. */
export const eventPrinter: Printer = {
  columns: [
    col("Last Seen", "string", "When the event was last observed."),
    col("Type", "string", "Normal or Warning."),
    col("Reason", "string", "A short machine-readable cause of the event."),
    col("Object", "string", "The object the event is about, as kind/name."),
    wide("Subobject", "string", "The part of the object the event is about, such as a container."),
    wide("Source", "string", "The component (and host) that reported the event."),
    col("Message", "string", "A human-readable description of the event."),
    wide("First Seen", "string", "When the event was first observed."),
    wide("Count", "string", "How many times the event has occurred."),
    { name: "Name", type: "string", format: "name", description: "The event's object name.", priority: 1 },
  ],
  print(raw, now) {
    const ev = coreView(raw);
    // Events from the newer API carry only eventTime; older ones only firstTimestamp.
    const first = since(now, ev.firstTimestamp) !== "<unknown>" ? since(now, ev.firstTimestamp) : since(now, ev.eventTime);
    let last = since(now, ev.lastTimestamp) !== "<unknown>" ? since(now, ev.lastTimestamp) : first;
    let count = ev.count;
    if (ev.series) {
      last = since(now, ev.series.lastObservedTime);
      count = int(ev.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(ev.involved.kind).toLowerCase();
    const name = str(ev.involved.name);
    return {
      cells: [last, ev.type, ev.reason, name ? `${kind}/${name}` : kind, str(ev.involved.fieldPath), sourceCell(ev), ev.message.trim(), first, count, ev.name],
    };
  },
};
