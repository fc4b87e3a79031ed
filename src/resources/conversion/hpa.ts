type Obj = Record<string, any>;

function cpuUtilizationTarget(metrics: Obj[] | undefined): number | undefined {
  const m = metrics?.find((x) => x.type === "Resource" && x.resource?.name === "cpu" && x.resource?.target?.type === "Utilization");
  return m?.resource?.target?.averageUtilization;
}

function cpuUtilizationCurrent(metrics: Obj[] | undefined): number | undefined {
  const m = metrics?.find((x) => x.type === "Resource" && x.resource?.name === "cpu");
  return m?.resource?.current?.averageUtilization;
}

/** autoscaling/v1 → autoscaling/v2 (the storage form). */
export function hpaToV2(obj: Obj): Obj {
  const spec = obj.spec ?? {};
  const out: Obj = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: obj.metadata,
    spec: { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas },
  };
  if (spec.minReplicas !== undefined) out.spec.minReplicas = spec.minReplicas;
  if (spec.targetCPUUtilizationPercentage !== undefined) {
    out.spec.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: spec.targetCPUUtilizationPercentage } } }];
  }
  if (obj.status) {
    const st = obj.status;
    out.status = { currentReplicas: st.currentReplicas ?? 0, desiredReplicas: st.desiredReplicas ?? 0 };
    if (st.observedGeneration !== undefined) out.status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime !== undefined) out.status.lastScaleTime = st.lastScaleTime;
    if (st.currentCPUUtilizationPercentage !== undefined) {
      out.status.currentMetrics = [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: st.currentCPUUtilizationPercentage } } }];
    }
  }
  return out;
}

/** autoscaling/v2 → autoscaling/v1: only the CPU utilization target survives, as upstream. */
export function hpaToV1(obj: Obj): Obj {
  const spec = obj.spec ?? {};
  const out: Obj = {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: obj.metadata,
    spec: { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas },
  };
  if (spec.minReplicas !== undefined) out.spec.minReplicas = spec.minReplicas;
  const target = cpuUtilizationTarget(spec.metrics);
  if (target !== undefined) out.spec.targetCPUUtilizationPercentage = target;
  if (obj.status) {
    const st = obj.status;
    out.status = { currentReplicas: st.currentReplicas ?? 0, desiredReplicas: st.desiredReplicas ?? 0 };
    if (st.observedGeneration !== undefined) out.status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime !== undefined) out.status.lastScaleTime = st.lastScaleTime;
    const current = cpuUtilizationCurrent(st.currentMetrics);
    if (current !== undefined) out.status.currentCPUUtilizationPercentage = current;
  }
  return out;
}
