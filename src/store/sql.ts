/** The one path to SQLite: bindings only, failures rethrown with their statement. */

export class SqlError extends Error {
  constructor(readonly statement: string, cause: unknown) {
    super(`SQL failed: ${cause instanceof Error ? cause.message : String(cause)} [${statement}]`);
    this.name = "SqlError";
  }
}

type Binding = string | number | null | ArrayBuffer;

export interface Sql {
  all<T = Record<string, SqlStorageValue>>(query: string, ...bindings: Binding[]): T[];
  one<T = Record<string, SqlStorageValue>>(query: string, ...bindings: Binding[]): T | undefined;
  run(query: string, ...bindings: Binding[]): number;
  transaction<T>(fn: () => T): T;
}

/** Wraps a Durable Object's storage (SQL plus its synchronous transactions). */
export function sqlOf(storage: DurableObjectStorage): Sql {
  const exec = (query: string, bindings: Binding[]) => {
    try {
      return storage.sql.exec(query, ...bindings);
    } catch (e) {
      throw new SqlError(query, e);
    }
  };
  return {
    all: <T,>(q: string, ...b: Binding[]) => exec(q, b).toArray() as T[],
    one: <T,>(q: string, ...b: Binding[]) => exec(q, b).toArray()[0] as T | undefined,
    run: (q: string, ...b: Binding[]) => exec(q, b).rowsWritten,
    transaction: <T,>(fn: () => T) => storage.transactionSync(fn),
  };
}
