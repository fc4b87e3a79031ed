/**
 * Listeners told "something changed", at most once per burst: a relist or a watch chunk changes
 * many objects in one go, and a consumer that rebuilds everything wants to hear about it once.
 */
export class ChangeNotifier {
  private readonly listeners = new Set<() => void>();
  private pending = false;

  constructor(private readonly onError?: (err: unknown) => void) {}

  /** Adds a listener; the returned function removes it. */
  subscribe(listener: () => void): () => void {
    const entry = () => listener();
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Schedules one call of every listener after the current synchronous work. */
  notify(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      for (const listener of [...this.listeners]) {
        try {
          listener();
        } catch (err) {
          this.report(err);
        }
      }
    });
  }

  private report(err: unknown): void {
    try {
      this.onError?.(err);
    } catch {
      // a failing error reporter has nowhere left to report to
    }
  }
}
