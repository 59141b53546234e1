/**
 * Finds zstd frame boundaries in a compressed stream without decoding it (RFC 8878 §3.1.1:
 * frame header, blocks with 3-byte headers, optional 4-byte checksum; skippable frames
 * §3.1.2). A frame is decoded without anything before it, so each boundary is a checkpoint.
 */
import { CompressionError } from '../compression-error.ts';

type State = 'magic' | 'fhd' | 'fhrest' | 'block' | 'skipsize' | 'skip';

export class ZstdFrameWalker {
  private acc = new Uint8Array(18);
  private accLen = 0;
  private need = 4;
  private skip = 0;
  private state: State = 'magic';
  private checksum = false;
  private afterSkip: 'magic' | 'block' = 'magic';

  /** True when the bytes walked so far end at a frame boundary. */
  get atBoundary(): boolean {
    return this.state === 'magic' && this.accLen === 0;
  }

  /** Walks `chunk` from `from`; stops at the first frame boundary after `from` (returns its
   * position in chunk) or at the chunk's end (returns chunk.length). */
  next(chunk: Uint8Array, from: number): number {
    let i = from;
    while (i < chunk.length) {
      if (this.state === 'skip') {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) {
          this.enter(this.afterSkip);
          if (this.afterSkip === 'magic') return i;
        }
        continue;
      }
      const n = Math.min(this.need - this.accLen, chunk.length - i);
      this.acc.set(chunk.subarray(i, i + n), this.accLen);
      this.accLen += n;
      i += n;
      if (this.accLen === this.need && this.header()) return i;
    }
    return i;
  }

  private enter(state: 'magic' | 'block'): void {
    this.state = state;
    this.need = state === 'magic' ? 4 : 3;
    this.accLen = 0;
  }

  /** Handles a complete header; true when a frame just ended. */
  private header(): boolean {
    const a = this.acc;
    switch (this.state) {
      case 'magic': {
        const m = (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) >>> 0;
        this.accLen = 0;
        if (m === 0xfd2fb528) {
          this.state = 'fhd';
          this.need = 1;
        } else if ((m & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.state = 'skipsize';
          this.need = 4;
        } else {
          throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: bad frame magic');
        }
        return false;
      }
      case 'fhd': {
        const fhd = a[0]!;
        this.checksum = (fhd & 0x04) !== 0;
        const single = (fhd & 0x20) !== 0;
        const fcsLen = [single ? 1 : 0, 2, 4, 8][fhd >> 6]!;
        const dictLen = [0, 1, 2, 4][fhd & 3]!;
        const rest = (single ? 0 : 1) + dictLen + fcsLen;
        if (rest === 0) {
          this.enter('block');
        } else {
          this.state = 'fhrest';
          this.need = rest;
          this.accLen = 0;
        }
        return false;
      }
      case 'fhrest':
        this.enter('block');
        return false;
      case 'block': {
        const h = a[0]! | (a[1]! << 8) | (a[2]! << 16);
        const last = (h & 1) !== 0;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) throw new CompressionError('COMPRESSION_CORRUPT', 'zstd: reserved block type');
        this.skip = (type === 1 ? 1 : size) + (last && this.checksum ? 4 : 0);
        this.afterSkip = last ? 'magic' : 'block';
        this.accLen = 0;
        if (this.skip === 0) {
          this.enter(this.afterSkip);
          return last;
        }
        this.state = 'skip';
        return false;
      }
      case 'skip':
        return false;
      case 'skipsize':
        this.skip = (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) >>> 0;
        this.afterSkip = 'magic';
        this.accLen = 0;
        if (this.skip === 0) {
          this.enter('magic');
          return true;
        }
        this.state = 'skip';
        return false;
    }
  }
}
