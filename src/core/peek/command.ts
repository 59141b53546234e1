/**
 * The command bar's `peek` (Layerscope's own command; Docker has none):
 *   peek [--platform P] REF       manifest, config and layer sizes, nothing pulled
 *   peek index REF                index every layer (streamed once, no blob stored)
 *   peek ls                       peeked images
 *   peek cat REF PATH             one file, read with a Range request from the nearest checkpoint
 *   peek rm REF                   forget a peeked image and its indexes
 * REF of index/cat/rm may also be an image ID (prefix) of a peeked image.
 */
import { humanSize } from '../docker/format.ts';
import type { CommandOutput } from '../commands/context.ts';

/** What `peek` needs (src/app/peek.ts implements it). */
export interface PeekPort {
  peek(
    reference: string,
    platform?: string,
  ): Promise<{
    id: string;
    reference: string;
    platform: string;
    fetchedBytes: number;
    downloadSize: number;
    layers: { digest: string; compressedSize: number; indexed: boolean }[];
  }>;
  index(
    id: string,
    onLayer: (l: { layer: number; digest: string; done: boolean }) => void,
  ): Promise<{
    layers: {
      digest: string;
      compressedSize: number;
      entries?: number;
      indexBytes?: number;
      checkpoints?: number;
      compression?: string;
    }[];
  }>;
  list(): Promise<
    { id: string; familiar: string; layers: number; indexedLayers: number; downloadSize: number; indexBytes: number }[]
  >;
  readFile(
    id: string,
    path: string,
  ): Promise<{
    bytes: Uint8Array;
    size: number;
    type: string;
    fetched: number;
    rangeIgnored: boolean;
    truncated: boolean;
  }>;
  remove(id: string): Promise<boolean>;
}

const PEEK_USAGE = `Usage:  peek [--platform PLATFORM] REF
        peek index REF|ID
        peek ls
        peek cat REF|ID PATH
        peek rm REF|ID

Browse a registry image without pulling it: the manifest and config only, then
each layer indexed once (no blob stored) and single files read with HTTP Range.
`;

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(2)}%` : '-');

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(w[c]! + 3))).join('') + '\n').join('');
}

export async function runPeekCommand(args: string[], port: PeekPort, out: CommandOutput): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub ? out.stdout : out.stderr)(PEEK_USAGE);
    return sub ? 0 : 1;
  }
  switch (sub) {
    case 'ls': {
      const rows = [['IMAGE', 'IMAGE ID', 'LAYERS INDEXED', 'DOWNLOAD SIZE', 'INDEX SIZE']];
      for (const p of await port.list()) {
        rows.push([
          p.familiar,
          short(p.id),
          `${p.indexedLayers}/${p.layers}`,
          humanSize(p.downloadSize),
          humanSize(p.indexBytes),
        ]);
      }
      out.stdout(table(rows));
      return 0;
    }
    case 'index': {
      if (rest.length !== 1) break;
      const r = await port.index(rest[0]!, (l) => {
        if (l.done) out.stdout(`${short(l.digest)}: Indexed\n`);
      });
      const rows = [['LAYER', 'COMPRESSION', 'SIZE', 'ENTRIES', 'CHECKPOINTS', 'INDEX', 'OF LAYER']];
      for (const l of r.layers) {
        rows.push([
          short(l.digest),
          l.compression ?? '-',
          humanSize(l.compressedSize),
          String(l.entries ?? '-'),
          String(l.checkpoints ?? '-'),
          l.indexBytes !== undefined ? humanSize(l.indexBytes) : '-',
          l.indexBytes !== undefined ? pct(l.indexBytes, l.compressedSize) : '-',
        ]);
      }
      out.stdout(table(rows));
      return 0;
    }
    case 'cat': {
      if (rest.length !== 2) break;
      const f = await port.readFile(rest[0]!, rest[1]!);
      if (f.type !== 'file') {
        out.stderr(`peek: ${rest[1]} is not a regular file (${f.type})\n`);
        return 1;
      }
      out.stdout(new TextDecoder().decode(f.bytes));
      out.stderr(
        `\n(${f.size} bytes${f.truncated ? `, first ${f.bytes.length} shown` : ''}; ${humanSize(f.fetched)} fetched${
          f.rangeIgnored
            ? '; the registry ignored Range, so the layer was streamed from its start'
            : ' with one Range request'
        })\n`,
      );
      return 0;
    }
    case 'rm': {
      if (rest.length !== 1) break;
      if (!(await port.remove(rest[0]!))) {
        out.stderr(`peek: no such peeked image: ${rest[0]}\n`);
        return 1;
      }
      out.stdout(`Removed: ${rest[0]}\n`);
      return 0;
    }
    default: {
      let platform: string | undefined;
      const refs: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        if (a === '--platform') platform = args[++i];
        else if (a.startsWith('--platform=')) platform = a.slice('--platform='.length);
        else refs.push(a);
      }
      if (refs.length !== 1 || (args.includes('--platform') && !platform)) break;
      const s = await port.peek(refs[0]!, platform);
      out.stdout(`${s.reference}: manifest and config read, no layer pulled (${humanSize(s.fetchedBytes)} fetched)\n`);
      out.stdout(`Image ID: ${s.id}\nPlatform: ${s.platform}\nDownload size: ${humanSize(s.downloadSize)}\n`);
      const rows = [['LAYER', 'SIZE', 'INDEXED']];
      for (const l of s.layers) rows.push([short(l.digest), humanSize(l.compressedSize), l.indexed ? 'yes' : 'no']);
      out.stdout(table(rows));
      return 0;
    }
  }
  out.stderr(`peek: wrong arguments\n\n${PEEK_USAGE}`);
  return 1;
}
