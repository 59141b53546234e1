/**
 * A tiny tar builder for tests: one readable line per case.
 *   tarBuilder().dir('etc').file('etc/hosts', '127.0.0.1 localhost\n').whiteout('usr', 'bin').bytes()
 * Built on the streaming writer's header encoder, so tests exercise the real writer.
 */
import { encodeHeader, END_OF_ARCHIVE, type TarWriteHeader } from './writer.ts';
import { padding, utf8 } from './format.ts';
import { concatBytes } from './bytes.ts';

export interface BuilderAttrs {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  uname?: string;
  gname?: string;
  xattrs?: Record<string, string>;
}

export interface TarBuilder {
  file(path: string, content?: string | Uint8Array, attrs?: BuilderAttrs): TarBuilder;
  dir(path: string, attrs?: BuilderAttrs): TarBuilder;
  symlink(path: string, target: string, attrs?: BuilderAttrs): TarBuilder;
  /** A hard link at `path` to the earlier entry `target`. */
  link(path: string, target: string, attrs?: BuilderAttrs): TarBuilder;
  /** `dirPath/.wh.name`: deletes `name` from the layers below (OCI layer.md#whiteouts). */
  whiteout(dirPath: string, name: string): TarBuilder;
  /** `dirPath/.wh..wh..opq`: hides everything below in dirPath. */
  opaque(dirPath: string): TarBuilder;
  fifo(path: string, attrs?: BuilderAttrs): TarBuilder;
  device(path: string, type: 'char' | 'block', devmajor: number, devminor: number, attrs?: BuilderAttrs): TarBuilder;
  /** Any header, for odd cases. */
  entry(header: TarWriteHeader, content?: string | Uint8Array): TarBuilder;
  /** Raw bytes appended as they are (hostile cases). */
  raw(bytes: Uint8Array): TarBuilder;
  /** The archive; `end: false` leaves out the end-of-archive marker. */
  bytes(opts?: { end?: boolean }): Uint8Array;
}

const join = (dir: string, name: string) => (dir === '' || dir === '.' ? name : `${dir.replace(/\/+$/, '')}/${name}`);

export function tarBuilder(): TarBuilder {
  const parts: Uint8Array[] = [];
  const b: TarBuilder = {
    entry(header, content) {
      const body = typeof content === 'string' ? utf8.encode(content) : (content ?? new Uint8Array(0));
      parts.push(encodeHeader({ ...header, size: header.size ?? body.length }));
      if (body.length) {
        parts.push(body);
        parts.push(new Uint8Array(padding(body.length)));
      }
      return b;
    },
    file: (path, content = '', attrs = {}) => b.entry({ ...attrs, path, type: 'file' }, content),
    dir: (path, attrs = {}) => b.entry({ ...attrs, path, type: 'dir' }),
    symlink: (path, target, attrs = {}) => b.entry({ ...attrs, path, type: 'symlink', linkname: target }),
    link: (path, target, attrs = {}) => b.entry({ ...attrs, path, type: 'hardlink', linkname: target }),
    whiteout: (dirPath, name) => b.entry({ path: join(dirPath, `.wh.${name}`), type: 'file' }),
    opaque: (dirPath) => b.entry({ path: join(dirPath, '.wh..wh..opq'), type: 'file' }),
    fifo: (path, attrs = {}) => b.entry({ ...attrs, path, type: 'fifo' }),
    device: (path, type, devmajor, devminor, attrs = {}) => b.entry({ ...attrs, path, type, devmajor, devminor }),
    raw(bytes) {
      parts.push(bytes);
      return b;
    },
    bytes({ end = true } = {}) {
      return concatBytes(end ? [...parts, END_OF_ARCHIVE] : parts);
    },
  };
  return b;
}
