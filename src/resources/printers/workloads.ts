/** Deployment and ReplicaSet rows: replica counts plus, in wide output, the pod template. */
import { formatLabelSelector } from "../../lib/selectors";
import { AGE_COLUMN, col, NAME_COLUMN, wide, type Column, type Printer } from "./columns";
import { int, rec, recs, str, type Obj } from "./object-access";
import { since } from "./timestamps";

/** Container names and images of a pod template, comma-joined in container order. */
function templateCells(obj: Obj): [string, string] {
  const containers = recs(rec(rec(rec(obj.spec).template).spec).containers);
  return [containers.map((c) => str(c.name)).join(","), containers.map((c) => str(c.image)).join(",")];
}

/** spec.replicas as stored; the API defaults it to 1 when a client leaves it out. */
function desired(obj: Obj): number {
  const v = rec(obj.spec).replicas;
  return typeof v === "number" ? Math.trunc(v) : 1;
}

function selectorOr(obj: Obj, onInvalid: string, onEmpty: string): string {
  try {
    return formatLabelSelector(rec(obj.spec).selector) || onEmpty;
  } catch {
    return onInvalid;
  }
}

const TEMPLATE_COLUMNS: Column[] = [
  wide("Containers", "string", "Names of the containers in the pod template."),
  wide("Images", "string", "Images of the containers in the pod template."),
  wide("Selector", "string", "The label selector for the pods this object manages."),
];

/** apps/v1 deployments. */
export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Ready", "string", "Ready pods out of desired pods."),
    col("Up-to-date", "string", "Pods running the newest pod template."),
    col("Available", "string", "Pods ready for at least minReadySeconds."),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  print(d, now) {
    const status = rec(d.status);
    const [names, images] = templateCells(d);
    return {
      cells: [
        str(rec(d.metadata).name),
        `${int(status.readyReplicas)}/${desired(d)}`,
        int(status.updatedReplicas),
        int(status.availableReplicas),
        since(now, rec(d.metadata).creationTimestamp),
        names,
        images,
        // Upstream renders an empty selector as "" here but as "<none>" for replica sets.
        selectorOr(d, "<invalid>", ""),
      ],
    };
  },
};

/** apps/v1 replicasets. */
export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Desired", "integer", "Number of pods the replica set wants."),
    col("Current", "integer", "Number of pods the replica set has."),
    col("Ready", "integer", "Number of those pods that are ready."),
    AGE_COLUMN,
    ...TEMPLATE_COLUMNS,
  ],
  print(rs, now) {
    const status = rec(rs.status);
    const [names, images] = templateCells(rs);
    return {
      cells: [
        str(rec(rs.metadata).name),
        desired(rs),
        int(status.replicas),
        int(status.readyReplicas),
        since(now, rec(rs.metadata).creationTimestamp),
        names,
        images,
        selectorOr(rs, "<error>", "<none>"),
      ],
    };
  },
};
