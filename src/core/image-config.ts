/**
 * Reading an image config (image-spec config.md) for what an ImageRecord needs: the layers'
 * diff_ids, the creation time and the platform. One reader for the pull, `docker load` and
 * the registry's platform check; each caller turns a refusal into its own error type. The
 * config is hostile input: its size, the number of diff_ids and every string are bounded by
 * LIMITS.
 */
import { isDigest, type Digest } from './digest.ts';
import { LIMITS } from './limits.ts';
import type { Platform } from './model.ts';

export interface ConfigSummary {
  diffIds: Digest[];
  created: string;
  platform: Platform;
}

/** Why a config was refused: too large to read, or not a config. */
type ConfigProblem = 'too-large' | 'invalid';

/** `fail(problem, text)` makes the caller's error; `text` reads after "image config " or
 * "config <member> ", e.g. `has no valid rootfs.diff_ids`. */
export type ConfigFailure = (problem: ConfigProblem, text: string) => Error;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (v: unknown) => (typeof v === 'string' && v.length <= LIMITS.stringLength ? v : '');

/** The platform fields of a parsed config (`os`, `architecture`, `variant`, `os.version`). */
export function platformOfConfig(c: Record<string, unknown>): Platform {
  const platform: Platform = { os: str(c.os), architecture: str(c.architecture) };
  if (str(c.variant)) platform.variant = str(c.variant);
  if (str(c['os.version'])) platform['os.version'] = str(c['os.version']);
  return platform;
}

/** The config as a JSON object, or a refusal through `fail`. */
export function parseConfigObject(bytes: Uint8Array, fail: ConfigFailure): Record<string, unknown> {
  if (bytes.length > LIMITS.configBytes) {
    throw fail('too-large', `is ${bytes.length} bytes (limit ${LIMITS.configBytes})`);
  }
  let c: unknown;
  try {
    c = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail('invalid', `is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(c)) throw fail('invalid', 'is not a JSON object');
  return c;
}

export function parseImageConfig(bytes: Uint8Array, fail: ConfigFailure): ConfigSummary {
  const c = parseConfigObject(bytes, fail);
  const rootfs = c.rootfs;
  const ids = isObject(rootfs) ? rootfs.diff_ids : undefined;
  if (!Array.isArray(ids) || !ids.every((d): d is Digest => typeof d === 'string' && isDigest(d))) {
    throw fail('invalid', 'has no valid rootfs.diff_ids');
  }
  if (ids.length > LIMITS.layers) throw fail('too-large', `lists more than ${LIMITS.layers} layers in rootfs.diff_ids`);
  return { diffIds: ids, created: str(c.created), platform: platformOfConfig(c) };
}
