/**
 * Plugins by name, and the default profile: kube-scheduler v1.32's default plugin set, in its
 * order, with its default score weights.
 */
import { isFilter, isPreFilter, isPreScore, isScore, type FilterPlugin, type Plugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from "../framework";
import * as imageLocality from "./image-locality";
import * as interPodAffinity from "./inter-pod-affinity";
import * as nodeAffinity from "./node-affinity";
import * as nodeName from "./node-name";
import * as nodePorts from "./node-ports";
import * as balanced from "./node-resources-balanced-allocation";
import * as fit from "./node-resources-fit";
import * as nodeUnschedulable from "./node-unschedulable";
import * as podTopologySpread from "./pod-topology-spread";
import * as taintToleration from "./taint-toleration";

export type PluginFactory = () => Plugin;

export class Registry {
  private readonly factories = new Map<string, PluginFactory>();

  register(name: string, factory: PluginFactory): this {
    if (this.factories.has(name)) throw new Error(`a plugin named "${name}" already exists`);
    this.factories.set(name, factory);
    return this;
  }

  unregister(name: string): void {
    if (!this.factories.delete(name)) throw new Error(`no plugin named "${name}" exists`);
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  create(name: string): Plugin {
    const f = this.factories.get(name);
    if (!f) throw new Error(`no plugin named "${name}" exists`);
    const p = f();
    if (p.name !== name) throw new Error(`plugin factory "${name}" built a plugin named "${p.name}"`);
    return p;
  }
}

/** The in-tree plugins. */
export function inTreeRegistry(): Registry {
  return new Registry()
    .register(nodeUnschedulable.name, nodeUnschedulable.plugin)
    .register(nodeName.name, nodeName.plugin)
    .register(taintToleration.name, taintToleration.plugin)
    .register(nodeAffinity.name, nodeAffinity.plugin)
    .register(nodePorts.name, nodePorts.plugin)
    .register(fit.name, fit.plugin)
    .register(podTopologySpread.name, podTopologySpread.plugin)
    .register(interPodAffinity.name, interPodAffinity.plugin)
    .register(balanced.name, balanced.plugin)
    .register(imageLocality.name, imageLocality.plugin);
}

/** A plugin of a profile with its score weight (ignored for plugins that do not score). */
export interface PluginConfig {
  name: string;
  weight?: number;
}

/** kube-scheduler v1.32's default plugins (the storage and DRA plugins aside) with their weights. */
export const DEFAULT_PLUGINS: readonly PluginConfig[] = [
  { name: nodeUnschedulable.name },
  { name: nodeName.name },
  { name: taintToleration.name, weight: taintToleration.WEIGHT },
  { name: nodeAffinity.name, weight: nodeAffinity.WEIGHT },
  { name: nodePorts.name },
  { name: fit.name, weight: fit.WEIGHT },
  { name: podTopologySpread.name, weight: podTopologySpread.WEIGHT },
  { name: interPodAffinity.name, weight: interPodAffinity.WEIGHT },
  { name: balanced.name, weight: balanced.WEIGHT },
  { name: imageLocality.name, weight: imageLocality.WEIGHT },
];

/** The plugins of one scheduler profile, sorted by extension point, in configuration order. */
export interface Profile {
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filter: readonly FilterPlugin[];
  readonly preScore: readonly PreScorePlugin[];
  readonly score: readonly { plugin: ScorePlugin; weight: number }[];
}

export function buildProfile(plugins: readonly PluginConfig[] = DEFAULT_PLUGINS, registry: Registry = inTreeRegistry()): Profile {
  const seen = new Set<string>();
  const preFilter: PreFilterPlugin[] = [];
  const filter: FilterPlugin[] = [];
  const preScore: PreScorePlugin[] = [];
  const score: { plugin: ScorePlugin; weight: number }[] = [];
  for (const cfg of plugins) {
    if (seen.has(cfg.name)) throw new Error(`plugin "${cfg.name}" is configured twice`);
    seen.add(cfg.name);
    const p = registry.create(cfg.name);
    if (isPreFilter(p)) preFilter.push(p);
    if (isFilter(p)) filter.push(p);
    if (isPreScore(p)) preScore.push(p);
    if (isScore(p)) score.push({ plugin: p, weight: cfg.weight ?? 1 });
  }
  return { preFilter, filter, preScore, score };
}

let cached: Profile | undefined;

/** The default profile (built once; plugins keep no state between calls). */
export function defaultProfile(): Profile {
  return (cached ??= buildProfile());
}
