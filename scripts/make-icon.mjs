// Draws media/icon.png (128x128 RGBA): a rounded tile with a falling bar chart, one bar per
// execution mode getting faster. Pure zlib PNG encoding, so no image dependency is needed.
import fs from 'node:fs';
import zlib from 'node:zlib';

const SIZE = 128;
const px = new Uint8Array(SIZE * SIZE * 4);

function inRoundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x >= x1 || y < y0 || y >= y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r - 1);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r - 1);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function fill(test, [r, g, b, a = 255]) {
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++)
      if (test(x, y)) px.set([r, g, b, a], (y * SIZE + x) * 4);
}

fill((x, y) => inRoundedRect(x, y, 0, 0, SIZE, SIZE, 22), [0x0b, 0x2a, 0x4a]);
const bars = [
  { h: 84, color: [0x8a, 0x9b, 0xad] },
  { h: 58, color: [0x00, 0x91, 0xbd] },
  { h: 36, color: [0x00, 0xc1, 0xde] },
  { h: 20, color: [0xff, 0xa3, 0x1a] },
];
bars.forEach((bar, i) => {
  const x0 = 18 + i * 24;
  fill((x, y) => inRoundedRect(x, y, x0, 106 - bar.h, x0 + 18, 106, 3), bar.color);
});
fill((x, y) => x >= 14 && x < 114 && y >= 108 && y < 112, [0xe6, 0xee, 0xf5]);

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) Buffer.from(px.subarray(y * SIZE * 4, (y + 1) * SIZE * 4)).copy(raw, y * (SIZE * 4 + 1) + 1);
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header.set([8, 6, 0, 0, 0], 8);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
fs.mkdirSync('media', { recursive: true });
fs.writeFileSync('media/icon.png', png);
console.log(`media/icon.png: ${png.length} bytes`);
