import { Comlink, newJobId, type EngineClient } from './engine-client.ts';

/** The command bar keeps at most this much output (oldest text is dropped first). */
const MAX_OUTPUT = 512 * 1024;

export class CommandState {
  input = $state('');
  output = $state('');
  busy = $state(false);
  history: string[] = [];
  #cursor = -1;
  #job: string | null = null;

  constructor(private engine: EngineClient, private onChange: () => void) {}

  #append(text: string): void {
    const next = this.output + text;
    this.output = next.length > MAX_OUTPUT ? next.slice(next.length - MAX_OUTPUT) : next;
  }

  async run(): Promise<void> {
    const line = this.input.trim();
    if (!line || this.busy) return;
    this.history.push(line);
    this.#cursor = -1;
    this.input = '';
    this.#append(`$ ${line}\n`);
    this.busy = true;
    const job = (this.#job = newJobId());
    try {
      await this.engine.api.run(
        job,
        line,
        Comlink.proxy({ stdout: (t: string) => this.#append(t), stderr: (t: string) => this.#append(t) }),
      );
    } catch (e) {
      this.#append(`${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      this.#job = null;
      this.busy = false;
      this.onChange();
    }
  }

  async interrupt(): Promise<void> {
    if (this.#job) await this.engine.api.cancel(this.#job);
  }

  recall(step: -1 | 1): void {
    if (this.history.length === 0) return;
    const n = this.history.length;
    this.#cursor = this.#cursor === -1 ? (step === -1 ? n - 1 : -1) : this.#cursor + step;
    if (this.#cursor >= n) this.#cursor = -1;
    if (this.#cursor < -1) this.#cursor = 0;
    this.input = this.#cursor === -1 ? '' : (this.history[this.#cursor] ?? '');
  }

  clear(): void {
    this.output = '';
  }
}
