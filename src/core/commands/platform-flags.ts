/**
 * `--platform` on `history`, `image inspect`, `save` and `load`, as docker/cli v29 reads it
 * (cli/command/image/*.go): each value parsed by containerd's platforms.Parse on the client
 * (`save` and `load` take a comma-separated list, pflag's StringSlice), a bad one refused
 * before anything runs. The daemon then checks the image: Layerscope's images are single-
 * platform, as moby's containerd store sees an image whose target is one manifest, so a
 * mismatch is moby's GetImageManifest error (daemon/containerd/image.go).
 */
import type { Platform } from '../model.ts';
import { formatPlatform, platformMatches, tryParsePlatform } from '../platform.ts';

type PlatformFlag = { ok: true; platforms: Platform[] } | { ok: false; reason: string };

/** Parses `--platform` values (a StringSlice's values are split on commas). */
function parsePlatformFlag(values: readonly string[], slice: boolean): PlatformFlag {
  const platforms: Platform[] = [];
  for (const v of slice ? values.flatMap((x) => x.split(',')) : values) {
    const r = tryParsePlatform(v);
    if (!r.ok) return { ok: false, reason: r.reason };
    platforms.push(r.platform);
  }
  return { ok: true, platforms };
}

/**
 * moby's refusal when `image` (as the person typed it) is not for any of `wanted`
 * (platforms.Only matching, so `linux/amd64` also takes a `linux/386` image); undefined
 * when it is.
 */
export function platformMismatch(image: string, wanted: readonly Platform[], actual: Platform): string | undefined {
  if (wanted.length === 0 || wanted.some((w) => platformMatches(w, actual))) return undefined;
  const shown = actual.os ? formatPlatform(actual) : 'nil';
  return `image with reference ${image} was found but does not match the specified platform: wanted ${formatPlatform(wanted[0]!)}, actual: ${shown}`;
}

/**
 * The platforms asked for, or undefined after writing docker/cli's refusal to stderr:
 * `invalid platform: …` for history, save and load (their fmt.Errorf wrapping), containerd's
 * message alone for pull and image inspect.
 */
export function platformsOrRefuse(
  values: readonly (string | undefined)[],
  opts: { slice: boolean; wrapped: boolean },
  out: { stderr(text: string): void },
): Platform[] | undefined {
  const r = parsePlatformFlag(
    values.filter((v): v is string => v !== undefined && v !== ''),
    opts.slice,
  );
  if (r.ok) return r.platforms;
  out.stderr(`${opts.wrapped ? 'invalid platform: ' : ''}${r.reason}\n`);
  return undefined;
}
