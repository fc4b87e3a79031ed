/** How objects are written to the log: apiVersion, kind and metadata first, and no resourceVersion. */
export function canonicalJson(obj: Record<string, any>): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** Continue tokens carry the revision of the first page and the last key served. */
export function encodeContinue(rev: number, lastKey: string): string {
  return btoa(JSON.stringify({ v: "flotilla/v1", rv: rev, start: lastKey }));
}

export function decodeContinue(token: string): { rv: number; start: string } | undefined {
  try {
    const t = JSON.parse(atob(token));
    if (t.v !== "flotilla/v1" || typeof t.rv !== "number" || typeof t.start !== "string") return undefined;
    return { rv: t.rv, start: t.start };
  } catch {
    return undefined;
  }
}
