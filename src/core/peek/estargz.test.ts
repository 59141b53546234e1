import { describe, expect, it } from 'vitest';
import { ESTARGZ_FOOTER_SIZE, parseFooter } from './estargz.ts';

const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));

describe('eStargz footer', () => {
  // The last 51 bytes of a layer written by `ctr-remote image convert --estargz` (Debian's
  // stargz-snapshotter 0.12.0), whose TOC member starts at 0x343b73.
  const real = hex(
    '1f8b08040000000000ff1a00534716003030303030303030303033343362373353544152475a010000ffff0000000000000000',
  );

  it('reads the TOC offset of a footer written by ctr-remote', () => {
    expect(real.length).toBe(ESTARGZ_FOOTER_SIZE);
    expect(parseFooter(real)).toBe(0x343b73);
  });

  it('is not fooled by other bytes', () => {
    expect(parseFooter(real.subarray(1))).toBeUndefined();
    expect(parseFooter(new Uint8Array(51))).toBeUndefined();
    const notHex = new Uint8Array(real);
    notHex[20] = 0x67; // 'g'
    expect(parseFooter(notHex)).toBeUndefined();
    const noMagic = new Uint8Array(real);
    noMagic[36] = 0x78;
    expect(parseFooter(noMagic)).toBeUndefined();
  });
});
