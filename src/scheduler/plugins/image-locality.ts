/**
 * ImageLocality: prefers nodes that already hold the pod's images, weighting each image by its
 * size and by how widely it is spread over the cluster (so one node holding a rare image does
 * not attract every pod).
 */
import { MAX_NODE_SCORE, SKIP, type CycleState, type NodeInfo, type PodInfo, type PreScorePlugin, type ScorePlugin } from "../framework";

type Obj = Record<string, any>;

export const name = "ImageLocality";
export const WEIGHT = 1;

const MB = 1024 * 1024;
/** Below this total nothing counts (a tiny image is cheap to pull anywhere). */
export const MIN_THRESHOLD = 23 * MB;
/** Per container, the size past which more bytes stop mattering. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** "nginx" → "nginx:latest"; names with a tag or digest are kept. */
export function normalizedImageName(image: string): string {
  if (image.lastIndexOf(":") <= image.lastIndexOf("/")) return `${image}:latest`;
  return image;
}

/** The sum over the pod's containers of image size × the share of nodes that hold the image. */
export function sumImageScores(pod: Obj, nodeInfo: NodeInfo, totalNumNodes: number): number {
  let sum = 0;
  const spec = pod.spec ?? {};
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!c.image) continue;
    const st = nodeInfo.imageStates.get(normalizedImageName(c.image));
    if (st && totalNumNodes > 0) sum += Math.trunc(st.size * (st.numNodes / totalNumNodes));
  }
  return sum;
}

/** Maps the summed image score onto 0..100 between the thresholds. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  let s = sumScores;
  if (s < MIN_THRESHOLD) s = MIN_THRESHOLD;
  else if (s > maxThreshold) s = maxThreshold;
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

const PRE_SCORE = "ImageLocality/preScore";

interface PreScoreState {
  total: number;
  images: string[];
  containers: number;
}

function imagesOf(pod: Obj): { images: string[]; containers: number } {
  const spec = pod.spec ?? {};
  const all: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  return { images: all.filter((c) => c.image).map((c) => normalizedImageName(c.image)), containers: all.length };
}

export function score(state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): number {
  const st = state?.read<PreScoreState>(PRE_SCORE) ?? { total: 1, ...imagesOf(pod.pod) };
  let sum = 0;
  for (const img of st.images) {
    const is = nodeInfo.imageStates.get(img);
    if (is && st.total > 0) sum += Math.trunc(is.size * (is.numNodes / st.total));
  }
  return calculatePriority(sum, st.containers);
}

/** Records the cluster size and the pod's images; skips scoring when no node holds any of them. */
export function preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], all: readonly NodeInfo[]): null | typeof SKIP {
  const { images, containers } = imagesOf(pod.pod);
  if (!all.some((n) => n.imageStates.size > 0 && images.some((i) => n.imageStates.has(i)))) return SKIP;
  state.write(PRE_SCORE, { total: all.length, images, containers });
  return null;
}

export function plugin(): ScorePlugin & PreScorePlugin {
  return { name, preScore, score };
}
