/**
 * An in-memory DockerContext: the reference implementation of the interface's contract (tests
 * use it; the UI may use it for demos). Removal steps, tags and loads change its arrays the
 * way the IndexedDB store must.
 */
import type { Digest } from '../digest.ts';
import type { ImageRecord, RemovalStep, TagRecord } from '../model.ts';
import type { PullEvent } from '../pull-events.ts';
import type { Reference } from '../reference.ts';
import { LayerscopeError } from '../errors.ts';
import type { DockerContext, LoadedImage, LoadRequest, SaveRequest } from './context.ts';

export interface FakeState {
  images: ImageRecord[];
  tags: TagRecord[];
  configs: Map<Digest, unknown>;
}

export class FakeDockerContext implements DockerContext {
  readonly saved: SaveRequest[] = [];
  readonly removals: RemovalStep[][] = [];
  version = 'test';
  /** Scripted pull: events to emit, then either resolve or throw `error`. */
  pullScript: { events: PullEvent[]; error?: unknown; onDone?: (ref: Reference) => void } = { events: [] };
  loadResult: { images: LoadedImage[] } = { images: [] };
  lastLoad: LoadRequest | undefined;
  confirmAnswer: boolean | undefined;
  constructor(
    readonly state: FakeState,
    private nowMs: number,
  ) {}

  now(): number {
    return this.nowMs;
  }
  async listImages(): Promise<ImageRecord[]> {
    return this.state.images.map((i) => ({ ...i, repoDigests: [...i.repoDigests] }));
  }
  async listTags(): Promise<TagRecord[]> {
    return this.state.tags.map((t) => ({ ...t }));
  }
  async getConfig(imageId: Digest): Promise<unknown> {
    return this.state.configs.get(imageId);
  }
  async pull(
    ref: Reference,
    _opts: { platform?: string },
    onEvent: (e: PullEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const e of this.pullScript.events) {
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      onEvent(e);
    }
    if (this.pullScript.error !== undefined) throw this.pullScript.error;
    this.pullScript.onDone?.(ref);
  }
  async tag(imageId: Digest, name: string): Promise<void> {
    if (!this.state.images.some((i) => i.id === imageId))
      throw new LayerscopeError('NOT_FOUND', `No such image: ${imageId}`);
    this.state.tags = this.state.tags.filter((t) => t.name !== name).concat({ name, imageId });
  }
  async remove(steps: readonly RemovalStep[]): Promise<void> {
    this.removals.push([...steps]);
    for (const s of steps) {
      if (s.kind === 'untag') this.state.tags = this.state.tags.filter((t) => t.name !== s.name);
      else if (s.kind === 'untagDigest') {
        const img = this.state.images.find((i) => i.id === s.imageId);
        if (img) img.repoDigests = img.repoDigests.filter((d) => d !== s.reference);
      } else {
        this.state.images = this.state.images.filter((i) => i.id !== s.imageId);
        this.state.tags = this.state.tags.filter((t) => t.imageId !== s.imageId);
      }
    }
  }
  async save(request: SaveRequest): Promise<void> {
    this.saved.push(request);
  }
  async load(request: LoadRequest): Promise<{ images: LoadedImage[] }> {
    this.lastLoad = request;
    return this.loadResult;
  }
  get confirm(): ((prompt: string) => Promise<boolean>) | undefined {
    const answer = this.confirmAnswer;
    return answer === undefined ? undefined : async () => answer;
  }
}
