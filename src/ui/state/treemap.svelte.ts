import type { EngineClient } from './engine-client.ts';
import { Latest } from './latest.ts';
import { toFailure, type Failure } from './failure.ts';

interface TreemapChild {
  path: string;
  name: string;
  size: number;
  isDir: boolean;
}

/** The size map of one image: the directory shown and its children (latest request wins). */
export class TreemapState {
  path = $state('');
  items = $state.raw<TreemapChild[]>([]);
  error = $state.raw<Failure | null>(null);
  busy = $state(false);
  #latest = new Latest();

  constructor(
    private engine: EngineClient,
    private id: () => string,
  ) {}

  async go(path: string): Promise<void> {
    this.path = path;
    this.busy = true;
    const out = await this.#latest.run(() => this.engine.api.children(this.id(), path));
    if (!out) return;
    this.busy = false;
    if (out.ok) {
      this.items = out.value;
      this.error = null;
    } else {
      this.items = [];
      this.error = toFailure(out.error);
    }
  }

  isDir(path: string): boolean {
    return this.items.find((c) => c.path === path)?.isDir ?? false;
  }
}
