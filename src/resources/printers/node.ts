/** Node rows: readiness, roles and what runs the node. */
import { AGE_COLUMN, col, NAME_COLUMN, wide, type Printer } from "./columns";
import { rec, recs, str, type Obj } from "./object-access";
import { since } from "./timestamps";

const ROLE_PREFIX = "node-role.kubernetes.io/";
/** The older way of naming a node's role: the role is the label's value. */
const LEGACY_ROLE_LABEL = "kubernetes.io/role";

/** "Ready", "NotReady" or "Unknown" (no Ready condition yet), plus ",SchedulingDisabled" when cordoned. */
function statusCell(node: Obj): string {
  const parts: string[] = [];
  const ready = recs(rec(node.status).conditions).find((c) => c.type === "Ready");
  if (ready) parts.push(ready.status === "True" ? "Ready" : "NotReady");
  else parts.push("Unknown");
  if (rec(node.spec).unschedulable === true) parts.push("SchedulingDisabled");
  return parts.join(",");
}

/** Roles from node-role.kubernetes.io/<role> and kubernetes.io/role=<role> labels, sorted. */
function rolesCell(node: Obj): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(rec(node.metadata).labels))) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === LEGACY_ROLE_LABEL && str(v) !== "") roles.add(str(v));
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

function address(node: Obj, type: string): string {
  return str(recs(rec(node.status).addresses).find((a) => a.type === type)?.address) || "<none>";
}

/** core/v1 nodes. */
export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Status", "string", "Whether the node is ready, and whether scheduling onto it is disabled."),
    col("Roles", "string", "Roles named by the node's node-role labels."),
    AGE_COLUMN,
    col("Version", "string", "The kubelet version the node reports."),
    wide("Internal-IP", "string", "The node's first InternalIP address."),
    wide("External-IP", "string", "The node's first ExternalIP address."),
    wide("OS-Image", "string", "The operating system image the node reports."),
    wide("Kernel-Version", "string", "The kernel version the node reports."),
    wide("Container-Runtime", "string", "The container runtime and version the node reports."),
  ],
  print(node, now) {
    const info = rec(rec(node.status).nodeInfo);
    return {
      cells: [
        str(rec(node.metadata).name),
        statusCell(node),
        rolesCell(node),
        since(now, rec(node.metadata).creationTimestamp),
        str(info.kubeletVersion),
        address(node, "InternalIP"),
        address(node, "ExternalIP"),
        str(info.osImage) || "<unknown>",
        str(info.kernelVersion) || "<unknown>",
        str(info.containerRuntimeVersion) || "<unknown>",
      ],
    };
  },
};
