/**
 * The daemon's view of the store: each image with its tag and digest references, and Docker's
 * lookup of an image by name, digest reference, full ID or ID prefix (moby
 * `daemon/images.GetImage`).
 */
import { hexOf, type Digest } from '../digest.ts';
import type { ImageRecord, TagRecord } from '../model.ts';
import { familiarName, familiarString, parseReference, type Reference } from '../reference.ts';
import { unixSeconds } from '../docker/format.ts';
import type { ErrorCode } from '../errors.ts';

export interface RefView {
  /** Normalized form, as stored (`docker.io/library/x:tag`, `…/x@sha256:…`). */
  name: string;
  ref: Reference;
  /** `x:tag`, `ghcr.io/o/x@sha256:…` — what Docker prints. */
  familiar: string;
  /** `x`, `ghcr.io/o/x`: familiar name without tag or digest. */
  familiarName: string;
  /** Repository key for grouping: `registry/repository`. */
  repo: string;
}

export interface ImageView {
  image: ImageRecord;
  tags: RefView[];
  digests: RefView[];
  /** Creation time in whole Unix seconds (0 when the config has none). */
  created: number;
}

function refView(name: string): RefView | null {
  try {
    const ref = parseReference(name);
    return {
      name,
      ref,
      familiar: familiarString(ref),
      familiarName: familiarName(ref),
      repo: `${ref.registry}/${ref.repository}`,
    };
  } catch {
    return null;
  }
}

const byName = (a: RefView, b: RefView): number => (a.familiar < b.familiar ? -1 : a.familiar > b.familiar ? 1 : 0);

/** Images with their references, newest first (the daemon's order), ties by ID. */
export function buildViews(images: readonly ImageRecord[], tags: readonly TagRecord[]): ImageView[] {
  const tagsById = new Map<string, RefView[]>();
  for (const t of tags) {
    const v = refView(t.name);
    if (!v || v.ref.tag === undefined || v.ref.digest !== undefined) continue;
    const list = tagsById.get(t.imageId) ?? [];
    list.push(v);
    tagsById.set(t.imageId, list);
  }
  const views = images.map((image) => ({
    image,
    tags: (tagsById.get(image.id) ?? []).sort(byName),
    digests: image.repoDigests
      .map(refView)
      .filter((v): v is RefView => v !== null && v.ref.digest !== undefined)
      .sort(byName),
    created: unixSeconds(image.created),
  }));
  views.sort((a, b) => b.created - a.created || (a.image.id < b.image.id ? -1 : a.image.id > b.image.id ? 1 : 0));
  return views;
}

/**
 * The digest references that are names of the image: those it was pulled by (`docker pull
 * repo@sha256:…`; the containerd image store names such an image by that reference). A digest
 * recorded by a tag pull is not a name: it goes with the tag.
 */
export function digestNames(v: Pick<ImageView, 'image' | 'digests'>): RefView[] {
  return v.digests.filter((d) => v.image.refManifests?.[d.name] !== undefined);
}

/** Dangling: neither tags nor digest names (moby daemon/containerd `isDanglingImage`). */
export function isDangling(v: Pick<ImageView, 'image' | 'digests' | 'tags'>): boolean {
  return v.tags.length === 0 && digestNames(v).length === 0;
}

export type Resolved =
  | { ok: true; view: ImageView; byId: boolean }
  | { ok: false; error: string; code: Extract<ErrorCode, 'NOT_FOUND' | 'AMBIGUOUS_ID'> };

const FULL_ID = /^(sha256:)?[a-f0-9]{64}$/;

/** Docker's "No such image" name for an argument: the normalized familiar form when it parses. */
export function noSuchImageName(arg: string): string {
  try {
    return familiarString(parseReference(arg));
  } catch {
    return arg;
  }
}

/** moby isImageIDPrefix. */
export function isImageIdPrefix(imageId: Digest, arg: string): boolean {
  return imageId.startsWith(arg) || hexOf(imageId).startsWith(arg);
}

/** daemon GetImage: reference first, then full ID, then unambiguous ID prefix. */
export function resolveImage(arg: string, views: readonly ImageView[]): Resolved {
  if (FULL_ID.test(arg)) {
    const id = arg.startsWith('sha256:') ? arg : `sha256:${arg}`;
    const view = views.find((v) => v.image.id === id);
    return view ? { ok: true, view, byId: true } : { ok: false, error: `No such image: ${arg}`, code: 'NOT_FOUND' };
  }
  let ref: Reference | null = null;
  try {
    ref = parseReference(arg);
  } catch {
    ref = null;
  }
  if (ref) {
    const key =
      ref.digest !== undefined
        ? `${ref.registry}/${ref.repository}@${ref.digest}`
        : `${ref.registry}/${ref.repository}:${ref.tag}`;
    const view = views.find((v) =>
      ref!.digest !== undefined ? v.digests.some((d) => d.name === key) : v.tags.some((t) => t.name === key),
    );
    if (view) return { ok: true, view, byId: isImageIdPrefix(view.image.id, arg) };
    // A digest reference also finds the image when its repository has that manifest digest.
    if (ref.digest !== undefined) {
      const byManifest = views.find(
        (v) =>
          v.image.manifestDigest === ref!.digest &&
          v.tags.concat(v.digests).some((t) => t.repo === `${ref!.registry}/${ref!.repository}`),
      );
      if (byManifest) return { ok: true, view: byManifest, byId: false };
    }
  }
  // ID prefix search (digestset.Lookup): hex only, optionally with the algorithm.
  const prefix = arg.startsWith('sha256:') ? arg.slice(7) : arg;
  if (/^[a-f0-9]+$/.test(prefix)) {
    const found = views.filter((v) => hexOf(v.image.id).startsWith(prefix));
    if (found.length === 1) return { ok: true, view: found[0]!, byId: true };
    if (found.length > 1)
      return { ok: false, error: `multiple IDs found with provided prefix: ${prefix}`, code: 'AMBIGUOUS_ID' };
  }
  return { ok: false, error: `No such image: ${noSuchImageName(arg)}`, code: 'NOT_FOUND' };
}

/** `os/arch[/variant]` as containerd's platforms.Format prints it. */
export function platformString(p: { os: string; architecture: string; variant?: string }): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}
