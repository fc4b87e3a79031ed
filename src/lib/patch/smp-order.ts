/**
 * Element order of merged lists. A strategic merge keeps the patch's relative order
 * for the elements it mentions and the live object's order for the rest, then weaves
 * the two together using the live order as the tie-breaker; `$setElementOrder` supplies
 * the patch order explicitly.
 *
 * Worked example (merge key `name`): live [a, b, c], patch [b', d] → patch items [b', d],
 * server-only [a, c]. a precedes b in the live list so a goes first; c follows b, so b'
 * goes next; d is not live, so it is taken before c: [a, b', d, c].
 */
import { isObject } from "./json-value";
import { patchErrors } from "./patch-errors";

/** The identity of an element: its merge-key value, or the element itself for scalars. */
function identity(item: unknown, mergeKey: string | undefined): unknown {
  return mergeKey === undefined ? item : isObject(item) ? item[mergeKey] : undefined;
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  return list.findIndex((v) => identity(v, mergeKey) === id);
}

/** Throws unless every element is an object carrying the merge key. */
export function requireMergeKey(list: readonly unknown[], mergeKey: string): void {
  for (const item of list) {
    if (!isObject(item)) throw patchErrors.mergeFailure(`expected a map, but received ${JSON.stringify(item)}`);
    if (!(mergeKey in item)) throw patchErrors.mergeFailure(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  }
}

/** Splits `items` into those whose identity appears in `by` and those whose does not. */
export function partitionByPresence(items: readonly unknown[], by: readonly unknown[], mergeKey: string | undefined): [unknown[], unknown[]] {
  if (mergeKey !== undefined) requireMergeKey(items, mergeKey);
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const item of items) (indexIn(by, item, mergeKey) >= 0 ? present : absent).push(item);
  return [present, absent];
}

/** Stable sort of `items` by position in `order`; unknown items keep their place after known ones. */
function sortByOrder(items: readonly unknown[], order: readonly unknown[], mergeKey: string | undefined): unknown[] {
  if (mergeKey !== undefined) {
    requireMergeKey(items, mergeKey);
    requireMergeKey(order, mergeKey);
  }
  const rank = (item: unknown) => {
    const i = indexIn(order, item, mergeKey);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  return items
    .map((item, at) => ({ item, at, rank: rank(item) }))
    .sort((x, y) => (x.rank === y.rank ? x.at - y.at : x.rank < y.rank ? -1 : 1))
    .map((e) => e.item);
}

/** Weaves server-only items into patch items, keeping each list's own order. */
function interleave(serverOnly: readonly unknown[], patchItems: readonly unknown[], serverOrder: readonly unknown[], mergeKey: string | undefined): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patchItems[j++]);
    else {
      const li = indexIn(serverOrder, serverOnly[i], mergeKey);
      const ri = indexIn(serverOrder, patchItems[j], mergeKey);
      // Only when both are live elements does the live order decide; otherwise the patch item goes first.
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}

/** Orders a merged list: patch items by `patchOrder`, server-only items by `serverOrder`, woven together. */
export function normalizeOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string | undefined,
): unknown[] {
  return interleave(sortByOrder(serverOnly, serverOrder, mergeKey), sortByOrder(patchItems, patchOrder, mergeKey), serverOrder, mergeKey);
}

/**
 * Checks that the elements a patch list mentions appear in its `$setElementOrder`
 * list in the same relative order (deletions and other directives are ignored).
 */
export function checkSetElementOrder(patchList: readonly unknown[], orderList: readonly unknown[], mergeKey: string | undefined): void {
  const mentioned = patchList.filter((item) => !(isObject(item) && "$patch" in item));
  if (mergeKey !== undefined) {
    requireMergeKey(mentioned, mergeKey);
    requireMergeKey(orderList, mergeKey);
  }
  let p = 0;
  for (let o = 0; o < orderList.length && p < mentioned.length; o++) {
    if (identity(mentioned[p], mergeKey) === identity(orderList[o], mergeKey)) p++;
  }
  if (p < mentioned.length) {
    throw patchErrors.mergeFailure(
      `The order in patch list:\n${JSON.stringify(patchList)}\n doesn't match $setElementOrder list:\n${JSON.stringify(orderList)}\n`,
    );
  }
}
