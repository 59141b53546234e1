/** What an SBOM is made from: the image, its packages (with the layer of each) and who made it. */
import type { InstalledPackage } from '../packages/history.ts';
import type { Distro } from './purl.ts';

export interface SbomImage {
  /** How the user names it: a tag (`debian:12`) or the short ID. */
  name: string;
  /** Image ID (config digest). */
  id: string;
  manifestDigest?: string | undefined;
  /** Layers bottom first: blob digest, and the history line that created each. */
  layers: { digest: string; diffId: string; createdBy?: string | undefined }[];
}

export interface SbomInput {
  image: SbomImage;
  packages: readonly InstalledPackage[];
  distro?: Distro | undefined;
  /** ISO 8601 time of creation (the caller's clock: the core reads none). */
  created: string;
  /** A fresh UUID (the caller's randomness). */
  uuid: string;
  tool: { name: string; version: string };
}

/** ISO 8601 without fractional seconds, what SPDX's `created` field format asks for. */
export const isoSeconds = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
