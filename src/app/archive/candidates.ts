/**
 * The images an archive lists, before anything is stored: from `manifest.json` (docker save)
 * or `index.json` (OCI layout; a nested index resolved to one platform by containerd's rules,
 * as `docker pull` resolves a registry's index). Every referenced member must be in the archive
 * with the size its descriptor gives.
 */
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  ANNOTATION_REPO_DIGESTS,
  ArchiveError,
  blobPath,
  INDEX_FILE,
  MANIFEST_FILE,
  normalizeMemberPath,
  normalizeTagName,
  type DockerManifestItem,
} from '../../core/archive/index.ts';
import type { Digest } from '../../core/digest.ts';
import { LIMITS } from '../../core/limits.ts';
import { isIndex, isManifest } from '../../core/media-types.ts';
import type { Platform } from '../../core/model.ts';
import { choosePlatform, DEFAULT_PLATFORM, noMatchingManifestMessage, platformMatches } from '../../core/platform.ts';
import { parseManifest, type Descriptor, type ImageManifest } from '../../core/registry/manifests.ts';
import type { LoadSession, Member } from './session.ts';

/** The platforms a load asks for, in order of preference: `--platform`'s, else the default. */
function wantedPlatforms(s: LoadSession): readonly Platform[] {
  return s.opts.platforms?.length ? s.opts.platforms : [s.opts.defaultPlatform ?? DEFAULT_PLATFORM];
}

/** The image manifest of a nested index for the first wanted platform that one matches. */
function pickPlatform(s: LoadSession, entries: readonly Descriptor[]): Descriptor | undefined {
  const images = entries.filter((d) => isManifest(d.mediaType));
  for (const w of wantedPlatforms(s)) {
    const d = choosePlatform(images, w);
    if (d) return d;
  }
  return undefined;
}

export interface Candidate {
  /** Where the image came from, for messages. */
  source: string;
  configMember: Member & { kind: 'stored' | 'inline' };
  configPath: string;
  layers: { member: Member & { kind: 'stored' | 'inline' }; path: string; mediaType?: string }[];
  manifest?: {
    bytes: Uint8Array;
    digest: Digest;
    mediaType: string;
    indexDigest?: Digest;
    indexBytes?: Uint8Array;
    indexMediaType?: string;
  };
  names: string[];
  repoDigests: string[];
}

function parseManifestMember(bytes: Uint8Array, member: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(bytes);
  } catch (e) {
    throw new ArchiveError('ARCHIVE_MALFORMED', `${member}: ${(e as Error).message}`, member);
  }
}

/** Names an index.json entry gives: io.containerd.image.name, else a ref.name that is a full
 * tagged reference (a bare tag such as umoci's or skopeo's names no repository). */
function namesOf(d: Descriptor): string[] {
  const a = d.annotations ?? {};
  const full = a[ANNOTATION_IMAGE_NAME];
  if (full) {
    const n = normalizeTagName(full);
    return n ? [n] : [];
  }
  const ref = a[ANNOTATION_REF_NAME];
  if (ref && (ref.includes('/') || ref.includes(':'))) {
    const n = normalizeTagName(ref);
    return n ? [n] : [];
  }
  return [];
}

export async function ociCandidates(s: LoadSession, indexBytes: Uint8Array): Promise<Candidate[]> {
  const { manifest: idx } = parseManifestMember(indexBytes, INDEX_FILE);
  if (idx.kind !== 'index')
    throw new ArchiveError('ARCHIVE_MALFORMED', `${INDEX_FILE} is not an image index`, INDEX_FILE);
  const byManifest = new Map<Digest, Candidate>();
  const out: Candidate[] = [];
  for (const [i, top] of idx.manifests.entries()) {
    const what = `${INDEX_FILE} manifests[${i}]`;
    let desc = top;
    let parent: { digest: Digest; bytes: Uint8Array; mediaType: string } | undefined;
    if (isIndex(top.mediaType)) {
      const m = s.byDigest.get(top.digest);
      if (!m)
        throw new ArchiveError(
          'ARCHIVE_MISSING',
          `${what}: index ${top.digest} is not in the archive`,
          blobPath(top.digest),
          top.digest,
        );
      const bytes = await s.bytesOf(m, LIMITS.manifestBytes, blobPath(top.digest));
      const { manifest: nested, mediaType } = parseManifestMember(bytes, blobPath(top.digest));
      if (nested.kind !== 'index')
        throw new ArchiveError('ARCHIVE_MALFORMED', `${what}: ${top.digest} is not an index`, blobPath(top.digest));
      const pick = pickPlatform(s, nested.manifests);
      if (!pick)
        throw new ArchiveError(
          'ARCHIVE_MISSING',
          `${what}: index ${top.digest}: ${noMatchingManifestMessage(wantedPlatforms(s))}`,
          blobPath(top.digest),
          top.digest,
        );
      desc = { ...pick, ...(top.annotations ? { annotations: top.annotations } : {}) };
      parent = { digest: top.digest, bytes, mediaType };
    } else if (!isManifest(top.mediaType)) {
      continue; // artifacts and other descriptors: not images
    } else if (
      s.opts.platforms?.length &&
      top.platform &&
      !s.opts.platforms.some((p) => platformMatches(p, top.platform!))
    ) {
      continue; // `--platform`: an image the index says is for another platform
    }
    const names = namesOf(desc);
    const repoDigests = (desc.annotations?.[ANNOTATION_REPO_DIGESTS] ?? '')
      .split(',')
      .filter((r) => r.endsWith(`@${desc.digest}`) && r.length < 512);
    const known = byManifest.get(desc.digest);
    if (known) {
      known.names.push(...names.filter((n) => !known.names.includes(n)));
      known.repoDigests.push(...repoDigests.filter((n) => !known.repoDigests.includes(n)));
      continue;
    }
    const mm = s.byDigest.get(desc.digest);
    const mpath = blobPath(desc.digest);
    if (!mm)
      throw new ArchiveError(
        'ARCHIVE_MISSING',
        `${what}: manifest ${desc.digest} is not in the archive`,
        mpath,
        desc.digest,
      );
    const bytes = await s.bytesOf(mm, LIMITS.manifestBytes, mpath);
    if (bytes.length !== desc.size)
      throw new ArchiveError(
        'ARCHIVE_MALFORMED',
        `${what}: manifest ${desc.digest} is ${bytes.length} bytes, the index says ${desc.size}`,
        mpath,
        desc.digest,
      );
    const { manifest, mediaType } = parseManifestMember(bytes, mpath);
    if (manifest.kind !== 'manifest')
      throw new ArchiveError('ARCHIVE_MALFORMED', `${mpath} is not an image manifest`, mpath);
    const c = candidateFromManifest(s, manifest, mpath);
    c.manifest = {
      bytes,
      digest: desc.digest,
      mediaType,
      ...(parent ? { indexDigest: parent.digest, indexBytes: parent.bytes, indexMediaType: parent.mediaType } : {}),
    };
    c.names = names;
    c.repoDigests = repoDigests;
    byManifest.set(desc.digest, c);
    out.push(c);
  }
  return out;
}

function candidateFromManifest(s: LoadSession, m: ImageManifest, mpath: string): Candidate {
  const find = (d: Descriptor, what: string) => {
    const member = s.byDigest.get(d.digest);
    if (!member)
      throw new ArchiveError(
        'ARCHIVE_MISSING',
        `${mpath}: ${what} ${d.digest} is not in the archive`,
        blobPath(d.digest),
        d.digest,
      );
    const size = member.kind === 'inline' ? member.bytes.length : member.size;
    if (size !== d.size)
      throw new ArchiveError(
        'ARCHIVE_MALFORMED',
        `${mpath}: ${what} ${d.digest} is ${size} bytes, the manifest says ${d.size}`,
        blobPath(d.digest),
        d.digest,
      );
    return member;
  };
  return {
    source: mpath,
    configMember: find(m.config, 'config'),
    configPath: blobPath(m.config.digest),
    layers: m.layers.map((l, i) => ({
      member: find(l, `layer ${i}`),
      path: blobPath(l.digest),
      mediaType: l.mediaType,
    })),
    names: [],
    repoDigests: [],
  };
}

export function dockerCandidates(s: LoadSession, items: DockerManifestItem[]): Candidate[] {
  return items.map((item, i) => {
    const what = `${MANIFEST_FILE} item ${i}`;
    const configPath = normalizeMemberPath(item.Config, MANIFEST_FILE);
    const names = item.RepoTags.map((t) => {
      const n = normalizeTagName(t);
      if (!n)
        throw new ArchiveError(
          'ARCHIVE_MALFORMED',
          `${what}: invalid RepoTags entry ${JSON.stringify(t.slice(0, 200))}`,
          MANIFEST_FILE,
        );
      return n;
    });
    return {
      source: what,
      configMember: s.resolve(configPath, `${what} Config`),
      configPath,
      layers: item.Layers.map((l, j) => {
        const path = normalizeMemberPath(l, MANIFEST_FILE);
        return { member: s.resolve(path, `${what} layer ${j}`), path };
      }),
      names: [...new Set(names)],
      repoDigests: [],
    };
  });
}
