import type { Taint } from "./node/registration";

const EFFECTS = new Set(["NoSchedule", "PreferNoSchedule", "NoExecute"]);

/** "k=v,k2=v2" → labels; throws on an entry without "=". */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw new Error(`invalid label "${part}": use key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** "k=v:Effect,k2:Effect" → taints, as kubelet's --register-with-taints reads them. */
export function parseTaints(text: string | undefined): Taint[] {
  const out: Taint[] = [];
  for (const part of (text ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const colon = part.lastIndexOf(":");
    const effect = colon > 0 ? part.slice(colon + 1) : "";
    if (!EFFECTS.has(effect)) throw new Error(`invalid taint "${part}": use key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    const kv = part.slice(0, colon);
    const eq = kv.indexOf("=");
    const key = eq >= 0 ? kv.slice(0, eq) : kv;
    if (!key) throw new Error(`invalid taint "${part}": the key is empty`);
    out.push(eq >= 0 ? { key, value: kv.slice(eq + 1), effect: effect as Taint["effect"] } : { key, effect: effect as Taint["effect"] });
  }
  return out;
}
