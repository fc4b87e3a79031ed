/**
 * HorizontalPodAutoscalers (autoscaling/v2): minReplicas 1, the 80% CPU metric when none is
 * given, scaling-behaviour defaults, and the replica bounds and target reference rules.
 */
import type { StatusCause } from "../../api/status";
import { isValidPathSegmentName } from "../../lib/names";
import { invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { ensureObj, obj, objs, str, type Obj } from "./shape";

/** The target CPU utilisation an HPA without metrics scales on. */
export const DEFAULT_CPU_UTILIZATION = 80;

const SCALE_UP = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN = { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] };
/** Scale-down waits five minutes by default so a brief dip does not drop replicas. */
const SCALE_DOWN_WINDOW = 300;

function fillRules(rules: unknown, defaults: Obj): Obj {
  const r = obj(rules) ?? {};
  for (const [k, v] of Object.entries(defaults)) if (r[k] === undefined || r[k] === null) r[k] = structuredClone(v);
  return r;
}

/** Fills an HPA's defaults in place. */
export function defaultHPA(hpa: Obj): void {
  const spec = ensureObj(hpa, "spec");
  if (spec.minReplicas === undefined || spec.minReplicas === null) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0)
    spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  // Behaviour stays absent unless the user wrote one; then its gaps are filled.
  const behavior = obj(spec.behavior);
  if (behavior) {
    behavior.scaleUp = fillRules(behavior.scaleUp, SCALE_UP);
    behavior.scaleDown = fillRules(behavior.scaleDown, { stabilizationWindowSeconds: SCALE_DOWN_WINDOW, ...SCALE_DOWN });
  }
}

const METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"];
const TARGET_TYPES = ["AverageValue", "Utilization", "Value"];

function validateMetric(m: Obj, at: string): StatusCause[] {
  const type = str(m.type);
  if (!type) return [required(`${at}.type`, "must specify a metric source type")];
  if (!METRIC_TYPES.includes(type)) return [notSupported(`${at}.type`, type, METRIC_TYPES)];
  const key = type.charAt(0).toLowerCase() + type.slice(1);
  const source = obj(m[key]);
  if (!source) return [required(`${at}.${key}`, `must populate information for the given metric source`)];
  const out: StatusCause[] = [];
  if ((type === "Resource" || type === "ContainerResource") && !str(source.name)) out.push(required(`${at}.${key}.name`, "must specify a resource name"));
  const target = obj(source.target);
  if (!target) out.push(required(`${at}.${key}.target`, "must specify a metric target"));
  else {
    const tt = str(target.type);
    if (!tt) out.push(required(`${at}.${key}.target.type`, "must specify a metric target type"));
    else if (!TARGET_TYPES.includes(tt)) out.push(notSupported(`${at}.${key}.target.type`, tt, TARGET_TYPES));
    const u = target.averageUtilization;
    if (typeof u === "number" && u < 1) out.push(invalid(`${at}.${key}.target.averageUtilization`, u, "must be greater than 0"));
  }
  return out;
}

function validateRules(rules: unknown, at: string): StatusCause[] {
  const r = obj(rules);
  if (!r) return [];
  const out: StatusCause[] = [];
  const w = r.stabilizationWindowSeconds;
  if (typeof w === "number" && (w < 0 || w > 3600)) out.push(invalid(`${at}.stabilizationWindowSeconds`, w, w < 0 ? "must be greater than or equal to zero" : "must be less than or equal to 3600"));
  const sp = str(r.selectPolicy);
  if (sp && !["Disabled", "Max", "Min"].includes(sp)) out.push(notSupported(`${at}.selectPolicy`, sp, ["Disabled", "Max", "Min"]));
  objs(r.policies).forEach((p, i) => {
    const pt = str(p.type);
    if (pt !== "Pods" && pt !== "Percent") out.push(notSupported(`${at}.policies[${i}].type`, pt, ["Percent", "Pods"]));
    if (typeof p.value === "number" && p.value <= 0) out.push(invalid(`${at}.policies[${i}].value`, p.value, "must be greater than zero"));
    const ps = p.periodSeconds;
    if (typeof ps === "number" && (ps <= 0 || ps > 1800)) out.push(invalid(`${at}.policies[${i}].periodSeconds`, ps, ps <= 0 ? "must be greater than zero" : "must be less than or equal to 1800"));
  });
  return out;
}

/** Validates an HPA create or update. */
export function validateHPA(hpa: Obj): StatusCause[] {
  const spec = obj(hpa.spec) ?? {};
  const out: StatusCause[] = [];
  const ref = obj(spec.scaleTargetRef) ?? {};
  const kind = str(ref.kind);
  if (!kind) out.push(required("spec.scaleTargetRef.kind"));
  else out.push(...isValidPathSegmentName(kind).map((m) => invalid("spec.scaleTargetRef.kind", kind, m)));
  const name = str(ref.name);
  if (!name) out.push(required("spec.scaleTargetRef.name"));
  else out.push(...isValidPathSegmentName(name).map((m) => invalid("spec.scaleTargetRef.name", name, m)));
  const min = typeof spec.minReplicas === "number" ? spec.minReplicas : 1;
  const max = typeof spec.maxReplicas === "number" ? spec.maxReplicas : 0;
  if (min < 1) out.push(invalid("spec.minReplicas", min, "must be greater than or equal to 1"));
  if (max < 1) out.push(invalid("spec.maxReplicas", max, "must be greater than 0"));
  if (max < min) out.push(invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
  objs(spec.metrics).forEach((m, i) => out.push(...validateMetric(m, `spec.metrics[${i}]`)));
  const behavior = obj(spec.behavior);
  if (behavior) {
    out.push(...validateRules(behavior.scaleUp, "spec.behavior.scaleUp"));
    out.push(...validateRules(behavior.scaleDown, "spec.behavior.scaleDown"));
  }
  return out;
}

/** HorizontalPodAutoscaler behaviour. */
export const horizontalPodAutoscaler: KindBehaviour = { defaults: defaultHPA, validate: validateHPA };
