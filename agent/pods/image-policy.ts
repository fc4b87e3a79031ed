import type { Container } from "./pod-spec";

export type PullPolicy = "Always" | "IfNotPresent" | "Never";

/** The container's pull policy, defaulted as the API server does: Always for ":latest" or no tag. */
export function pullPolicy(c: Container): PullPolicy {
  const p = c.imagePullPolicy;
  if (p === "Always" || p === "IfNotPresent" || p === "Never") return p;
  const image = String(c.image ?? "");
  if (image.includes("@")) return "IfNotPresent";
  const tag = /:([^:/]+)$/.exec(image)?.[1];
  return !tag || tag === "latest" ? "Always" : "IfNotPresent";
}
