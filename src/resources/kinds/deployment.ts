/**
 * Deployments (apps/v1): replica, strategy and history defaults, and the strategy and
 * progress-deadline rules on top of the shared workload checks.
 */
import type { StatusCause } from "../../api/status";
import { isValidPercent } from "../../lib/names";
import { forbidden, goIntOrString, GoValue, invalid, notSupported, required, goQuote } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { defaultPodTemplate } from "./pod-spec-defaults";
import { ensureObj, obj, setDefault, str, type Obj } from "./shape";
import { validateSelectorUnchanged, validateWorkloadSpec } from "./workload";

/** Fills a Deployment's defaults in place. */
export function defaultDeployment(d: Obj): void {
  const spec = ensureObj(d, "spec");
  setDefault(spec, "replicas", 1);
  const strategy = ensureObj(spec, "strategy");
  setDefault(strategy, "type", "RollingUpdate");
  if (strategy.type === "RollingUpdate") {
    const ru = ensureObj(strategy, "rollingUpdate");
    setDefault(ru, "maxUnavailable", "25%");
    setDefault(ru, "maxSurge", "25%");
  }
  setDefault(spec, "revisionHistoryLimit", 10);
  setDefault(spec, "progressDeadlineSeconds", 600);
  defaultPodTemplate(ensureObj(spec, "template"));
}

/** The number or percentage an int-or-percent holds, and which it is. */
function intOrPercent(v: unknown): { value: number; percent: boolean } {
  if (typeof v === "number") return { value: v, percent: false };
  const s = typeof v === "string" ? v : "";
  const n = Number.parseInt(s.replace(/%$/, ""), 10);
  return { value: Number.isNaN(n) ? 0 : n, percent: s.endsWith("%") };
}

function validatePositiveIntOrPercent(v: unknown, field: string): StatusCause[] {
  if (typeof v === "string") return isValidPercent(v).map((m) => invalid(field, goIntOrString(v), m));
  if (typeof v === "number" && v < 0) return [invalid(field, v, "must be greater than or equal to 0")];
  return [];
}

function validateRollingUpdate(ru: Obj): StatusCause[] {
  const field = "spec.strategy.rollingUpdate";
  const out = [...validatePositiveIntOrPercent(ru.maxUnavailable, `${field}.maxUnavailable`), ...validatePositiveIntOrPercent(ru.maxSurge, `${field}.maxSurge`)];
  // With neither headroom nor slack a rollout could never make progress.
  if (intOrPercent(ru.maxUnavailable).value === 0 && intOrPercent(ru.maxSurge).value === 0)
    out.push(invalid(`${field}.maxUnavailable`, goIntOrString(ru.maxUnavailable), "may not be 0 when `maxSurge` is 0"));
  const mu = intOrPercent(ru.maxUnavailable);
  if (mu.percent && mu.value > 100) out.push(invalid(`${field}.maxUnavailable`, goIntOrString(ru.maxUnavailable), "must not be greater than 100%"));
  return out;
}

function goStrategy(strategy: Obj): GoValue {
  return new GoValue(`apps.DeploymentStrategy{Type:${goQuote(str(strategy.type))}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`);
}

function validateStrategy(strategy: Obj): StatusCause[] {
  switch (strategy.type) {
    case "Recreate":
      return strategy.rollingUpdate ? [forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")] : [];
    case "RollingUpdate": {
      const ru = obj(strategy.rollingUpdate);
      return ru ? validateRollingUpdate(ru) : [required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")];
    }
    default:
      return [notSupported("spec.strategy", goStrategy(strategy), ["Recreate", "RollingUpdate"])];
  }
}

/** Validates a Deployment create or update. */
export function validateDeployment(d: Obj, old?: Obj): StatusCause[] {
  const spec = obj(d.spec) ?? {};
  const out = validateWorkloadSpec(d);
  out.push(...validateStrategy(obj(spec.strategy) ?? {}));
  const rhl = spec.revisionHistoryLimit;
  if (typeof rhl === "number" && rhl < 0) out.push(invalid("spec.revisionHistoryLimit", rhl, "must be greater than or equal to 0"));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === "number") {
    if (pds < 0) out.push(invalid("spec.progressDeadlineSeconds", pds, "must be greater than or equal to 0"));
    const mrs = typeof spec.minReadySeconds === "number" ? spec.minReadySeconds : 0;
    if (pds <= mrs) out.push(invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
  }
  if (old) out.push(...validateSelectorUnchanged(d, old));
  return out;
}

/** Deployment behaviour. */
export const deployment: KindBehaviour = { defaults: defaultDeployment, validate: validateDeployment };
