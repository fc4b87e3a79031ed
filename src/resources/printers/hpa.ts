/** HorizontalPodAutoscaler (autoscaling/v2) rows: what is scaled, against which targets. */
import { AGE_COLUMN, col, NAME_COLUMN, type Printer } from "./columns";
import { int, rec, recs, str, type Obj } from "./object-access";
import { since } from "./timestamps";

const SHOWN = 2;

/** A quantity as printed; a missing one prints as Go prints a nil quantity. */
function qty(v: unknown): string {
  return v === undefined || v === null ? "<nil>" : str(v);
}

function percent(v: unknown): string | undefined {
  return typeof v === "number" ? `${Math.trunc(v)}%` : undefined;
}

/**
 * One "current/target" entry per metric. Current values come from status.currentMetrics at
 * the same index; "<unknown>" until the controller has measured them.
 */
function metricCell(spec: Obj, status: Obj | undefined): string {
  const unknown = "<unknown>";
  switch (spec.type) {
    case "External":
    case "Object": {
      const key = spec.type === "External" ? "external" : "object";
      const target = rec(rec(spec[key]).target);
      const current = status && status[key] !== undefined ? rec(rec(status[key]).current) : undefined;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        const cur = current && current.averageValue !== undefined ? qty(current.averageValue) : unknown;
        return `${cur}/${qty(target.averageValue)} (avg)`;
      }
      return `${current ? qty(current.value) : unknown}/${qty(target.value)}`;
    }
    case "Pods": {
      const target = rec(rec(spec.pods).target);
      const current = status && status.pods !== undefined ? qty(rec(rec(status.pods).current).averageValue) : unknown;
      return `${current}/${qty(target.averageValue)}`;
    }
    case "Resource":
    case "ContainerResource": {
      const key = spec.type === "Resource" ? "resource" : "containerResource";
      const source = rec(spec[key]);
      const target = rec(source.target);
      const current = status && status[key] !== undefined ? rec(rec(status[key]).current) : undefined;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        return `${str(source.name)}: ${current ? qty(current.averageValue) : unknown}/${qty(target.averageValue)}`;
      }
      const cur = (current && percent(current.averageUtilization)) ?? unknown;
      return `${str(source.name)}: ${cur}/${percent(target.averageUtilization) ?? "<auto>"}`;
    }
    default:
      return "<unknown type>";
  }
}

function targetsCell(hpa: Obj): string {
  const specs = recs(rec(hpa.spec).metrics);
  if (specs.length === 0) return "<none>";
  const statuses = recs(rec(hpa.status).currentMetrics);
  const items = specs.map((s, i) => metricCell(s, statuses[i]));
  const head = items.slice(0, SHOWN).join(", ");
  return items.length > SHOWN ? `${head} + ${items.length - SHOWN} more...` : head;
}

/** autoscaling/v2 horizontalpodautoscalers. */
export const hpaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Reference", "string", "The scaled object, as Kind/name."),
    col("Targets", "string", "Current and target values of each metric."),
    col("MinPods", "string", "The lower replica bound."),
    col("MaxPods", "string", "The upper replica bound."),
    col("Replicas", "string", "Replicas the autoscaler last saw."),
    AGE_COLUMN,
  ],
  print(hpa, now) {
    const spec = rec(hpa.spec);
    const ref = rec(spec.scaleTargetRef);
    const min = typeof spec.minReplicas === "number" ? String(int(spec.minReplicas)) : "<unset>";
    return {
      cells: [
        str(rec(hpa.metadata).name),
        `${str(ref.kind)}/${str(ref.name)}`,
        targetsCell(hpa),
        min,
        int(spec.maxReplicas),
        int(rec(hpa.status).currentReplicas),
        since(now, rec(hpa.metadata).creationTimestamp),
      ],
    };
  },
};
