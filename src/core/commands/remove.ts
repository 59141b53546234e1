/**
 * Docker's removal rules as pure plans (moby daemon/images/image_delete.go, image_prune.go):
 *
 * - by reference (`rmi ubuntu:22.04`): untag it; when it was the repository's last tag, also
 *   untag the image's digest references of that repository; delete the image when nothing
 *   references it any more;
 * - by ID or ID prefix: an image with one tag (plus digests of that same repository) is untagged
 *   and deleted; with references in several places it is a conflict unless forced
 *   (`conflict: unable to delete <id> (must be forced) - image is referenced in multiple
 *   repositories`); with none it is deleted;
 * - prune removes dangling images, those with neither tags nor digest names (moby
 *   daemon/containerd `pruneUnused` with `isDanglingImage`; an image pulled by digest is not
 *   dangling, see store-view `isDangling`), and with `-a` every image, since no container uses any.
 *
 * Layerscope prints `Deleted: <image ID>` only; Docker's graph drivers also list each removed
 * layer's chain ID, which the containerd image store (Docker 29's default) does not.
 */
import type { Digest } from '../digest.ts';
import type { ErrorCode } from '../errors.ts';
import { dockerRef, familiarString, parseReference } from '../reference.ts';
import { humanSize, shortId } from '../docker/format.ts';
import type { RemovalStep } from '../model.ts';
import { isDangling, resolveImage, type ImageView, type RefView } from './store-view.ts';

export interface RmiResult {
  arg: string;
  steps: RemovalStep[];
  /** `Untagged: …` / `Deleted: …` lines, in order. */
  lines: string[];
  /** Docker's error text when this argument failed (no steps then). */
  error?: string;
  /** Why it failed: no such image, an ambiguous ID prefix, or an image in several repositories (without -f). */
  errorCode?: Extract<ErrorCode, 'NOT_FOUND' | 'AMBIGUOUS_ID' | 'IMAGE_REFERENCED'>;
}

/** A mutable copy of the views, so later arguments see earlier removals. */
function cloneViews(views: readonly ImageView[]): ImageView[] {
  return views.map((v) => ({ ...v, tags: [...v.tags], digests: [...v.digests] }));
}

const byNormalized = (a: RefView, b: RefView): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** moby isSingleReference: one tag at most, and every reference in that tag's repository. */
export function isSingleReference(refs: readonly RefView[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: RefView | undefined;
  const repos = new Set<string>();
  for (const r of refs) {
    if (r.ref.digest !== undefined) repos.add(r.repo);
    else if (!single) {
      repos.add(r.repo);
      single = r;
    } else return false;
  }
  single ??= refs[0]!;
  return repos.size === 1 && repos.has(single.repo);
}

function untagStep(v: ImageView, r: RefView): RemovalStep {
  return r.ref.digest !== undefined
    ? { kind: 'untagDigest', imageId: v.image.id, reference: r.name }
    : { kind: 'untag', name: r.name };
}

function dropRef(v: ImageView, r: RefView): void {
  v.tags = v.tags.filter((t) => t.name !== r.name);
  v.digests = v.digests.filter((d) => d.name !== r.name);
}

/** Plan `docker rmi [-f] ARG…`, one result per argument, in order. */
export function planRmi(args: readonly string[], views: readonly ImageView[], opts: { force: boolean }): RmiResult[] {
  let state = cloneViews(views);
  const results: RmiResult[] = [];
  for (const arg of args) {
    const res: RmiResult = { arg, steps: [], lines: [] };
    results.push(res);
    const found = resolveImage(arg, state);
    if (!found.ok) {
      res.error = `Error response from daemon: ${found.error}`;
      res.errorCode = found.code;
      continue;
    }
    const v = found.view;
    const untag = (r: RefView): void => {
      res.steps.push(untagStep(v, r));
      res.lines.push(`Untagged: ${r.familiar}`);
      dropRef(v, r);
    };
    if (!found.byId) {
      const ref = dockerRef(parseReference(arg)); // ParseDockerRef: a tag beside a digest is ignored
      const key =
        ref.digest !== undefined
          ? `${ref.registry}/${ref.repository}@${ref.digest}`
          : `${ref.registry}/${ref.repository}:${ref.tag}`;
      const target = [...v.tags, ...v.digests].find((r) => r.name === key);
      if (!target) {
        // A manifest digest that is no reference of the image (its platform manifest under an
        // index): the daemon's reference store has no such name.
        res.error = `Error response from daemon: No such image: ${familiarString(ref)}`;
        res.errorCode = 'NOT_FOUND';
        continue;
      }
      untag(target); // a digest reference: that reference only
      if (target.ref.digest === undefined && !v.tags.some((t) => t.repo === target.repo)) {
        for (const d of v.digests.filter((d) => d.repo === target.repo).sort(byNormalized)) untag(d);
      }
      if (v.tags.length + v.digests.length > 0) continue;
    } else {
      const refs = [...v.tags, ...v.digests].sort(byNormalized);
      if (refs.length > 0 && !isSingleReference(refs) && !opts.force) {
        res.error = `Error response from daemon: conflict: unable to delete ${shortId(v.image.id)} (must be forced) - image is referenced in multiple repositories`;
        res.errorCode = 'IMAGE_REFERENCED';
        continue;
      }
      for (const r of refs) untag(r);
    }
    res.steps.push({ kind: 'delete', imageId: v.image.id });
    res.lines.push(`Deleted: ${v.image.id}`);
    state = state.filter((s) => s.image.id !== v.image.id);
  }
  return results;
}

/** Docker's layer identity: the chain of diff IDs up to that layer (what a chain ID hashes). */
function chainKeys(v: ImageView): { key: string; size: number }[] {
  const out: { key: string; size: number }[] = [];
  let key = '';
  for (const l of v.image.layers) {
    key = key ? `${key} ${l.diffId}` : l.diffId;
    out.push({ key, size: l.size });
  }
  return out;
}

/** Bytes freed by deleting `deleted`: sizes of layers no remaining image still uses. */
export function reclaimedBytes(views: readonly ImageView[], deleted: ReadonlySet<Digest>): number {
  const kept = new Set<string>();
  for (const v of views) if (!deleted.has(v.image.id)) for (const c of chainKeys(v)) kept.add(c.key);
  const freed = new Map<string, number>();
  for (const v of views)
    if (deleted.has(v.image.id)) for (const c of chainKeys(v)) if (!kept.has(c.key)) freed.set(c.key, c.size);
  let sum = 0;
  for (const s of freed.values()) sum += s;
  return sum;
}

export interface SharedSizes {
  /** Per image ID: bytes of its layers that some other stored image also uses. */
  shared: Map<Digest, number>;
  /** Bytes of all distinct layers (Docker's LayersSize). */
  layersSize: number;
}

/** `docker system df -v` shared/unique sizes, by layer chain across every stored image. */
export function sharedSizes(views: readonly ImageView[]): SharedSizes {
  // Chains as small integers (parent chain, diffId) → id, so that a thousand images' chains
  // are not hashed as ever longer strings of digests: the same identity as chainKeys.
  const ids = new Map<string, number>();
  const chains = views.map((v) => {
    const out: { key: number; size: number }[] = [];
    let id = -1;
    for (const l of v.image.layers) {
      const k = `${id} ${l.diffId}`;
      let n = ids.get(k);
      if (n === undefined) ids.set(k, (n = ids.size));
      id = n;
      out.push({ key: n, size: l.size });
    }
    return out;
  });
  const users = new Map<number, number>();
  const sizes = new Map<number, number>();
  for (const cs of chains) {
    for (const c of new Map(cs.map((c) => [c.key, c.size]))) {
      users.set(c[0], (users.get(c[0]) ?? 0) + 1);
      sizes.set(c[0], c[1]);
    }
  }
  const shared = new Map<Digest, number>();
  views.forEach((v, i) => {
    let s = 0;
    for (const c of chains[i]!) if ((users.get(c.key) ?? 0) > 1) s += c.size;
    shared.set(v.image.id, s);
  });
  let layersSize = 0;
  for (const s of sizes.values()) layersSize += s;
  return { shared, layersSize };
}

export interface PrunePlan {
  steps: RemovalStep[];
  /** `untagged: …` / `deleted: …` records. */
  records: string[];
  reclaimed: number;
}

export const PRUNE_DANGLING_WARNING =
  'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
export const PRUNE_ALL_WARNING =
  'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';

/** Plan `docker image prune [-a]` with `until=` / `label=` filters already applied by the caller. */
export function planPrune(
  views: readonly ImageView[],
  candidates: readonly ImageView[],
  opts: { all: boolean },
): PrunePlan {
  const steps: RemovalStep[] = [];
  const records: string[] = [];
  const deleted = new Set<Digest>();
  for (const v of candidates) {
    if (!opts.all && !isDangling(v)) continue;
    for (const r of [...v.tags, ...v.digests].sort(byNormalized)) {
      steps.push(untagStep(v, r));
      records.push(`untagged: ${r.familiar}`);
    }
    steps.push({ kind: 'delete', imageId: v.image.id });
    records.push(`deleted: ${v.image.id}`);
    deleted.add(v.image.id);
  }
  return { steps, records, reclaimed: reclaimedBytes(views, deleted) };
}

/** prune's report (docker/cli image/prune.go, Docker 29). */
export function pruneReport(plan: PrunePlan): string {
  let out = '';
  if (plan.records.length > 0) out += 'Deleted Images:\n' + plan.records.map((r) => r + '\n').join('') + '\n';
  out += `Total images deleted/untagged: ${plan.records.length}\n`;
  out += `Total reclaimed space: ${humanSize(plan.reclaimed)}\n`;
  return out;
}
