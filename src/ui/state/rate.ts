/**
 * Download speed and time left, as a download manager shows them: bytes per second over the
 * last few seconds (not since the start, so a stall shows), and the time the rest takes at
 * that speed. Pure: the caller passes the clock.
 */
export class RateMeter {
  #samples: { t: number; bytes: number }[] = [];

  constructor(private windowMs = 5000) {}

  /** `bytes` done so far at time `t` (ms). */
  add(t: number, bytes: number): void {
    const last = this.#samples.at(-1);
    if (last && t <= last.t) {
      last.bytes = Math.max(last.bytes, bytes);
      return;
    }
    this.#samples.push({ t, bytes });
    // Keep one sample older than the window, so the window is always spanned.
    while (this.#samples.length > 2 && this.#samples[1]!.t <= t - this.windowMs) this.#samples.shift();
  }

  /** Bytes per second over the window; null until there is a second sample. */
  rate(): number | null {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.t === first.t) return null;
    return Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.t - first.t));
  }

  /** Seconds left for `total − done` at the current rate; null when unknown (no rate, stalled). */
  eta(done: number, total: number): number | null {
    const r = this.rate();
    if (!r || total <= 0) return null;
    return Math.max(0, Math.ceil((total - done) / r));
  }

  reset(): void {
    this.#samples = [];
  }
}

/** `1 h 02 min`, `3 min 05 s`, `42 s`: short, unambiguous in both languages the app speaks. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
