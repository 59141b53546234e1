/**
 * "Latest request wins": when a person opens one image and then another, or selects one file
 * and then the next, the answer to the earlier request may arrive last. Each `run` supersedes
 * the ones before it; a superseded request's answer (or failure) is dropped, so it can never
 * overwrite what the newer request shows.
 */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class Latest {
  #seq = 0;
  #running = 0;

  /** Resolves to the outcome when this is still the newest request, or `null` when superseded. */
  async run<T>(task: () => Promise<T>): Promise<Settled<T> | null> {
    const n = ++this.#seq;
    this.#running++;
    let outcome: Settled<T>;
    try {
      outcome = { ok: true, value: await task() };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      this.#running--;
    }
    return n === this.#seq ? outcome : null;
  }

  /** Drops every answer still on its way (the view they were for has gone). */
  cancel(): void {
    this.#seq++;
  }

  /** Some request, current or superseded, has not answered yet. */
  get busy(): boolean {
    return this.#running > 0;
  }
}
