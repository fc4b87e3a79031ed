/**
 * What a node may read follows from the pods bound to it: the Secrets, ConfigMaps,
 * ServiceAccounts and PersistentVolumeClaims those pods reference. This is the Node authorizer's
 * graph, rebuilt from the node's pods (spec.nodeName = node) whenever it is needed.
 */

type Obj = Record<string, unknown>;

export interface PodReferences {
  secrets: string[];
  configMaps: string[];
  serviceAccounts: string[];
  persistentVolumeClaims: string[];
}

/** The node's pods and what they reference, each as "namespace/name". */
export interface NodeGraph {
  pods: ReadonlySet<string>;
  secrets: ReadonlySet<string>;
  configMaps: ReadonlySet<string>;
  serviceAccounts: ReadonlySet<string>;
  persistentVolumeClaims: ReadonlySet<string>;
}

const asObj = (v: unknown): Obj => (v && typeof v === "object" ? (v as Obj) : {});
const asArr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(asObj) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

// Volume sources whose credentials live in a Secret named by `secretRef.name`.
const SECRET_REF_VOLUMES = ["cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos"];

/**
 * The objects a pod needs from the API to run (names within the pod's namespace).
 * @example podReferences({ metadata: { name: "p" }, spec: { serviceAccountName: "sa", volumes: [{ name: "v", secret: { secretName: "s" } }] } })
 * // { secrets: ["s"], configMaps: [], serviceAccounts: ["sa"], persistentVolumeClaims: [] }
 */
export function podReferences(pod: Obj): PodReferences {
  const spec = asObj(pod.spec);
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const pvcs = new Set<string>();
  const add = (set: Set<string>, name: unknown) => {
    if (str(name)) set.add(str(name));
  };
  for (const s of asArr(spec.imagePullSecrets)) add(secrets, s.name);
  const containers = [...asArr(spec.initContainers), ...asArr(spec.containers), ...asArr(spec.ephemeralContainers)];
  for (const c of containers) {
    for (const e of asArr(c.env)) {
      const from = asObj(e.valueFrom);
      add(secrets, asObj(from.secretKeyRef).name);
      add(configMaps, asObj(from.configMapKeyRef).name);
    }
    for (const e of asArr(c.envFrom)) {
      add(secrets, asObj(e.secretRef).name);
      add(configMaps, asObj(e.configMapRef).name);
    }
  }
  for (const v of asArr(spec.volumes)) {
    add(secrets, asObj(v.secret).secretName);
    add(configMaps, asObj(v.configMap).name);
    add(pvcs, asObj(v.persistentVolumeClaim).claimName);
    // A generic ephemeral volume's claim is named after the pod and the volume.
    if (v.ephemeral && str(asObj(pod.metadata).name)) add(pvcs, `${str(asObj(pod.metadata).name)}-${str(v.name)}`);
    for (const src of asArr(asObj(v.projected).sources)) {
      add(secrets, asObj(src.secret).name);
      add(configMaps, asObj(src.configMap).name);
    }
    for (const kind of SECRET_REF_VOLUMES) add(secrets, asObj(asObj(v[kind]).secretRef).name);
    add(secrets, asObj(v.azureFile).secretName);
    add(secrets, asObj(asObj(v.csi).nodePublishSecretRef).name);
  }
  const sa = str(spec.serviceAccountName) || str(spec.serviceAccount);
  return { secrets: [...secrets], configMaps: [...configMaps], serviceAccounts: sa ? [sa] : [], persistentVolumeClaims: [...pvcs] };
}

/**
 * Builds the graph for `nodeName` from a set of pods; pods bound elsewhere are ignored, so the
 * caller may pass any superset (such as a list by fieldSelector spec.nodeName).
 */
export function buildNodeGraph(nodeName: string, pods: Iterable<Obj>): NodeGraph {
  const g = { pods: new Set<string>(), secrets: new Set<string>(), configMaps: new Set<string>(), serviceAccounts: new Set<string>(), persistentVolumeClaims: new Set<string>() };
  for (const pod of pods) {
    if (str(asObj(pod.spec).nodeName) !== nodeName) continue;
    const meta = asObj(pod.metadata);
    const ns = str(meta.namespace);
    g.pods.add(`${ns}/${str(meta.name)}`);
    const refs = podReferences(pod);
    for (const n of refs.secrets) g.secrets.add(`${ns}/${n}`);
    for (const n of refs.configMaps) g.configMaps.add(`${ns}/${n}`);
    for (const n of refs.serviceAccounts) g.serviceAccounts.add(`${ns}/${n}`);
    for (const n of refs.persistentVolumeClaims) g.persistentVolumeClaims.add(`${ns}/${n}`);
  }
  return g;
}
