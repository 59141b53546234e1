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
  /** The output as the pieces it arrived in: the log draws one text node per piece, so an
   * append lays out only the new text, not all of it again (a `docker images` of a thousand
   * images is 100 kB; the log keeps up to 512 kB). */
  chunks = $state.raw<{ id: number; text: string }[]>([]);
  #size = 0;
  #nextId = 0;
  get output(): string {
    return this.chunks.map((c) => c.text).join('');
  }
  busy = $state(false);
  history: string[] = [];
  #cursor = -1;
  #job: string | null = null;

  constructor(
    private engine: EngineClient,
    private onChange: () => void,
  ) {}

  #append(text: string): void {
    if (text === '') return;
    const chunks = [...this.chunks];
    const last = chunks.at(-1);
    // Small pieces (pull progress, echoes) join the last one, up to 4 kB.
    if (last && last.text.length + text.length <= 4096)
      chunks[chunks.length - 1] = { id: last.id, text: last.text + text };
    else chunks.push({ id: this.#nextId++, text });
    this.#size += text.length;
    // Oldest text first out, to MAX_OUTPUT characters exactly.
    while (this.#size > MAX_OUTPUT) {
      const first = chunks[0]!;
      const over = this.#size - MAX_OUTPUT;
      if (first.text.length <= over) {
        chunks.shift();
        this.#size -= first.text.length;
      } else {
        chunks[0] = { id: first.id, text: first.text.slice(over) };
        this.#size -= over;
      }
    }
    this.chunks = chunks;
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
    this.chunks = [];
    this.#size = 0;
  }
}
