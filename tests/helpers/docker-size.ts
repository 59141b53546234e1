/**
 * Docker's image SIZE computed independently of Layerscope's tar reader, from GNU tar's own
 * listing of each layer blob: regular files (a hard link adds nothing), plus the byte length
 * of each symlink target. GNU tar decompresses gzip and zstd itself (`-a` is not needed for
 * reading: `tar -tv` sniffs the compression).
 */
import { execFileSync } from 'node:child_process';

export function layerSizeByGnuTar(blobPath: string): number {
  const out = execFileSync('tar', ['--numeric-owner', '--quoting-style=escape', '-tvf', blobPath], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  let total = 0;
  for (const line of out.split('\n')) {
    if (!line) continue;
    // -rw-r--r-- 0/0  1234 2024-01-01 00:00 path
    const m = /^(\S)\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tar -tv line: ${line}`);
    const [, type, size, rest] = m;
    if (type === '-') total += Number(size);
    else if (type === 'l') {
      const arrow = rest!.indexOf(' -> ');
      total += Buffer.byteLength(rest!.slice(arrow + 4), 'utf8');
    }
    // 'h' (hard link), 'd', 'c', 'b', 'p': nothing
  }
  return total;
}
