import { errors, StatusError } from "../api/status";
import { parseFieldSelector, parseLabelSelector } from "../lib/selectors";
import { apiVersionOf, type ResourceType } from "../resources/registry";
import type { ObjectStore } from "./objects";
import type { RevisionLog } from "./revision-log";
import type { WatchHub } from "./watch-hub";

export interface WatchRequest {
  namespace?: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

/** Bookmarks go out this often on watches that asked for them. */
const BOOKMARK_EVERY_MS = 60_000;
/** Without timeoutSeconds a watch ends after a while, as upstream's min-request-timeout does. */
const DEFAULT_TIMEOUT_S = 1800;

/**
 * Opens a watch: register first, then replay (or send the initial state), all in one synchronous
 * turn of the object, so no write can fall between the two.
 */
export function openWatch(rt: ResourceType, req: WatchRequest, log: RevisionLog, hub: WatchHub, store: ObjectStore): ReadableStream<Uint8Array> {
  const labels = parseLabelSelector(req.labelSelector);
  const fields = parseFieldSelector(req.fieldSelector, rt);
  const nameOnly =
    fields.requirements.length === 1 && fields.requirements[0].field === "metadata.name" && fields.requirements[0].op === "=" ? fields.requirements[0].value : undefined;
  const filtering = !labels.empty || (!fields.empty && nameOnly === undefined);
  const rvParam = req.resourceVersion ?? "";
  let since: number | undefined;
  if (rvParam !== "" && rvParam !== "0") {
    since = Number(rvParam);
    if (!Number.isInteger(since) || since < 0) throw errors.badRequest(`invalid resource version: ${rvParam}`);
  }
  if (req.sendInitialEvents && since !== undefined) {
    throw errors.invalid("ListOptions", "meta.k8s.io", "", [
      { reason: "FieldValueForbidden", field: "sendInitialEvents", message: "Forbidden: sendInitialEvents is only supported with resourceVersion unset or \"0\"" },
    ]);
  }
  const { watcher, stream } = hub.open({
    storage: rt.storage,
    namespace: rt.namespaced ? req.namespace : undefined,
    name: nameOnly,
    filter: filtering ? (o) => labels.matches(o.metadata?.labels) && fields.matches(o) : undefined,
    bookmarks: !!req.allowWatchBookmarks,
    kind: rt.kind,
    apiVersion: apiVersionOf(rt),
  });
  const timeout = req.timeoutSeconds && req.timeoutSeconds > 0 ? req.timeoutSeconds : DEFAULT_TIMEOUT_S;
  watcher.after(timeout * 1000, () => watcher.close());
  if (req.allowWatchBookmarks) watcher.every(BOOKMARK_EVERY_MS, () => watcher.sendBookmark(Math.max(watcher.lastRev, log.revision)));

  if (since !== undefined) {
    if (since > 0 && since < log.compactRevision) {
      const status = new StatusError(410, "Expired", `too old resource version: ${since} (${log.compactRevision})`).toStatus();
      watcher.sendError(JSON.stringify(status));
      watcher.close();
      return stream;
    }
    watcher.lastRev = since;
    for (let rows = log.since(rt.storage, since); rows.length; rows = log.since(rt.storage, watcher.lastRev)) {
      const before = watcher.lastRev;
      for (const row of rows) {
        const prevValue = filtering && !row.created && row.prev_revision ? log.row(row.prev_revision)?.value : undefined;
        watcher.deliver({ row, prevValue });
        watcher.lastRev = Math.max(watcher.lastRev, row.id);
      }
      if (watcher.lastRev === before) break;
    }
    return stream;
  }
  // resourceVersion unset or "0": the current state as synthetic ADDED events, then live changes.
  const rev = log.revision;
  const list = store.list(rt, rt.namespaced ? req.namespace : undefined, { labelSelector: req.labelSelector, fieldSelector: req.fieldSelector });
  for (const item of list.items) watcher.sendAdded(item);
  watcher.lastRev = rev;
  if (req.sendInitialEvents && req.allowWatchBookmarks) watcher.sendBookmark(rev, true);
  return stream;
}
