import { Comlink, newJobId, type EngineClient } from './engine-client.ts';

const LOAD_RE = /^\s*docker\s+(image\s+)?load\b/;

function saveBlob(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The command bar keeps at most this much output (oldest text is dropped first). */
const MAX_OUTPUT = 512 * 1024;

export class CommandState {
  input = $state('');
  output = $state('');
  busy = $state(false);
  history: string[] = [];
  #cursor = -1;
  #job: string | null = null;

  constructor(
    private engine: EngineClient,
    private onChange: () => void,
  ) {}

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
      // `docker load` reads a file the person picks: ask now, while the key press still
      // counts as a user gesture for the file picker.
      const files = LOAD_RE.test(line) ? await this.pickFiles() : [];
      await this.engine.api.run(
        job,
        line,
        Comlink.proxy({
          stdout: (t: string) => this.#append(t),
          stderr: (t: string) => this.#append(t),
          download: (name: string, data: Blob) => {
            saveBlob(name, data);
            this.#append(`layerscope: ${name} (${data.size} bytes) saved to your downloads\n`);
          },
        }),
        files,
      );
    } catch (e) {
      this.#append(`${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      this.#job = null;
      this.busy = false;
      this.onChange();
    }
  }

  /** The file picker for `docker load` (replaceable in tests). */
  pickFiles: () => Promise<File[]> = () =>
    new Promise((resolve) => {
      const input = Object.assign(document.createElement('input'), { type: 'file', accept: '.tar,.tgz,.gz,.zst' });
      input.addEventListener('change', () => resolve([...(input.files ?? [])]));
      input.addEventListener('cancel', () => resolve([]));
      input.click();
    });

  async interrupt(): Promise<void> {
    try {
      if (this.#job) await this.engine.api.cancel(this.#job);
    } catch (e) {
      this.#append(`${e instanceof Error ? e.message : String(e)}\n`);
    }
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
