// Renders the app icons (PNG) from the same three-layer drawing as public/icons/icon.svg,
// with no image library: a tiny rasterizer and a PNG encoder over node:zlib. Deterministic,
// so `node scripts/make-icons.mjs` reproduces the committed files byte for byte.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel((x + 0.5) / size, (y + 0.5) / size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), 255];
// Point-in-polygon (even-odd) for the layer shapes, in the SVG's 64×64 coordinates.
function inside(poly, x, y) {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i],
      [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}
const shapes = [
  [
    [
      [32, 12],
      [52, 22],
      [32, 32],
      [12, 22],
    ],
    hex('#bfdbfe'),
  ],
  [
    [
      [12, 31],
      [32, 41],
      [52, 31],
      [52, 37],
      [32, 47],
      [12, 37],
    ],
    hex('#93c5fd'),
  ],
  [
    [
      [12, 42],
      [32, 52],
      [52, 42],
      [52, 48],
      [32, 58],
      [12, 48],
    ],
    hex('#60a5fa'),
  ],
];
function draw(maskable) {
  // Maskable icons keep their content inside the central 80% safe zone and fill the square.
  const scale = maskable ? 0.7 : 1,
    off = (64 - 64 * scale) / 2;
  return (u, v) => {
    const x = (u * 64 - off) / scale,
      y = (v * 64 - off) / scale;
    for (const [poly, color] of shapes) if (inside(poly, x, y)) return color;
    if (maskable) return hex('#1d4ed8');
    const r = 12,
      cx = Math.min(Math.max(u * 64, r), 64 - r),
      cy = Math.min(Math.max(v * 64, r), 64 - r);
    return (u * 64 - cx) ** 2 + (v * 64 - cy) ** 2 <= r * r ? hex('#1d4ed8') : [0, 0, 0, 0];
  };
}
const dir = new URL('../public/icons/', import.meta.url);
writeFileSync(new URL('icon-192.png', dir), png(192, draw(false)));
writeFileSync(new URL('icon-512.png', dir), png(512, draw(false)));
writeFileSync(new URL('icon-maskable-512.png', dir), png(512, draw(true)));
console.log('icons written to public/icons/');
