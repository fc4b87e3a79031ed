/** Which printer renders which resource; anything unlisted gets the Name / Created At default. */
import type { ResourceType } from "../registry";
import type { Printer } from "./columns";
import { defaultPrinter } from "./default-printer";
import { endpointSlicePrinter, endpointsPrinter } from "./endpoints";
import { eventPrinter } from "./event";
import { hpaPrinter } from "./hpa";
import { nodePrinter } from "./node";
import { podPrinter } from "./pod";
import { clusterRoleBindingPrinter, roleBindingPrinter } from "./rbac";
import { servicePrinter } from "./service";
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from "./simple";
import { deploymentPrinter, replicaSetPrinter } from "./workloads";

/** Keyed by "<group>/<resource>" ("" group for core); versions of a resource print alike. */
const PRINTERS: Readonly<Record<string, Printer>> = {
  "/pods": podPrinter,
  "/services": servicePrinter,
  "/nodes": nodePrinter,
  "/namespaces": namespacePrinter,
  "/events": eventPrinter,
  "/configmaps": configMapPrinter,
  "/secrets": secretPrinter,
  "/serviceaccounts": serviceAccountPrinter,
  "/endpoints": endpointsPrinter,
  "apps/deployments": deploymentPrinter,
  "apps/replicasets": replicaSetPrinter,
  "discovery.k8s.io/endpointslices": endpointSlicePrinter,
  "coordination.k8s.io/leases": leasePrinter,
  "autoscaling/horizontalpodautoscalers": hpaPrinter,
  "rbac.authorization.k8s.io/rolebindings": roleBindingPrinter,
  "rbac.authorization.k8s.io/clusterrolebindings": clusterRoleBindingPrinter,
  // Upstream serves events.k8s.io Events from the core Event storage and printer.
  "events.k8s.io/events": eventPrinter,
};

/** The printer for a resource type. */
export function printerFor(rt: Pick<ResourceType, "group" | "resource">): Printer {
  return PRINTERS[`${rt.group}/${rt.resource}`] ?? defaultPrinter;
}
