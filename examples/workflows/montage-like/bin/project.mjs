// mProject: renders one tile of a synthetic sky (stars on a seeded canvas, plus this tile's own background
// plane and noise, as an instrument would record it) and reprojects it onto the mosaic grid with a small
// rotation by oversampled bilinear interpolation on every core of the worker; written with direct I/O.
import { createRandom, normal, parseArgs, required, runParallel } from '../../lib/common.mjs';
import { writeImage } from './image.mjs';

const { options } = parseArgs();
const seed = required(options, 'seed', 'int');
const tile = required(options, 'tile', 'int');
const columns = required(options, 'columns', 'int');
const size = required(options, 'size', 'int');
const stars = required(options, 'stars', 'int');
const out = required(options, 'out');
const step = Math.floor(size * 0.8); // neighbouring tiles overlap by 20%
const x0 = (tile % columns) * step;
const y0 = Math.floor(tile / columns) * step;
const sky = createRandom(seed, 3);
const starList = [];
const canvas = step * (columns + 1) + size;
for (let s = 0; s < stars; s++)
  starList.push({ x: sky() * canvas, y: sky() * canvas, flux: 50 * sky() ** 4, width: 1 + 2 * sky() });
const random = createRandom(seed, tile, 5);
const plane = { a: 10 * random(), b: (random() - 0.5) * 0.02, c: (random() - 0.5) * 0.02 };
const raw = new Float32Array(size * size);
for (const star of starList) {
  if (star.x < x0 - 10 || star.x > x0 + size + 10 || star.y < y0 - 10 || star.y > y0 + size + 10) continue;
  const r = Math.ceil(star.width * 4);
  for (let y = Math.max(0, Math.floor(star.y - y0 - r)); y < Math.min(size, star.y - y0 + r); y++) {
    for (let x = Math.max(0, Math.floor(star.x - x0 - r)); x < Math.min(size, star.x - x0 + r); x++) {
      const d2 = (x + x0 - star.x) ** 2 + (y + y0 - star.y) ** 2;
      raw[y * size + x] += star.flux * Math.exp(-d2 / (2 * star.width ** 2));
    }
  }
}
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) raw[y * size + x] += plane.a + plane.b * x + plane.c * y + 0.3 * normal(random);
}
// Reproject: rotate by a tiny angle about the tile centre (a distortion correction), oversampled bilinear
// resampling on every core of the worker.
const oversample = Number(options.oversample ?? 1);
const shared = new Float32Array(new SharedArrayBuffer(4 * size * size));
shared.set(raw);
const pixels = new Float32Array(new SharedArrayBuffer(4 * size * size));
const block = 16;
await runParallel(new URL('./kernels.mjs', import.meta.url).href, 'reproject', Math.ceil(size / block), {
  raw: shared,
  pixels,
  size,
  angle: 0.002 * (tile % 3),
  oversample,
  block,
});
writeImage(out, { tile, x0, y0, width: size, height: size, pixels });
process.stdout.write(`${JSON.stringify({ tile, x0, y0, background: plane })}\n`);
