/**
 * What a pull reports as it goes, in Docker's vocabulary (the daemon's JSON progress stream).
 * The pull dialog renders these as bars; the command bar prints them as `docker pull` does.
 */
export type LayerStatus =
  | 'Pulling fs layer'
  | 'Waiting'
  | 'Downloading'
  | 'Verifying Checksum'
  | 'Download complete'
  | 'Extracting'
  | 'Pull complete'
  | 'Already exists';

export type PullEvent =
  /** `latest: Pulling from library/ubuntu` */
  | { type: 'start'; tagOrDigest: string; repository: string }
  /** One layer's state; `id` is the first 12 hex digits of the layer blob digest. */
  | { type: 'layer'; id: string; status: LayerStatus; current?: number; total?: number }
  /** A warning Docker prints, e.g. the schema 1 deprecation notice. */
  | { type: 'warning'; text: string }
  /** `Digest: sha256:…` (the digest that was pulled: index or manifest). */
  | { type: 'digest'; digest: string }
  /** `Downloaded newer image for ubuntu:latest` / `Image is up to date for …` (printed after `Status: `) */
  | { type: 'status'; text: string; upToDate: boolean }
  /** The final line: the full normalized reference, e.g. `docker.io/library/ubuntu:latest`. */
  | { type: 'done'; reference: string; imageId: string };
