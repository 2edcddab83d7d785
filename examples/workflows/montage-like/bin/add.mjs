// mAdd: co-adds the corrected tiles onto the mosaic canvas, averaging where they overlap.
import { parseArgs, required } from '../../lib/common.mjs';
import { readImage, writeImage } from './image.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
const images = positional.map(readImage);
const width = Math.max(...images.map((im) => im.x0 + im.width));
const height = Math.max(...images.map((im) => im.y0 + im.height));
const sum = new Float64Array(width * height);
const count = new Uint16Array(width * height);
for (const im of images) {
  for (let y = 0; y < im.height; y++) {
    for (let x = 0; x < im.width; x++) {
      const p = (y + im.y0) * width + x + im.x0;
      sum[p] += im.pixels[y * im.width + x];
      count[p]++;
    }
  }
}
const pixels = new Float32Array(width * height);
for (let p = 0; p < pixels.length; p++) pixels[p] = count[p] ? sum[p] / count[p] : 0;
writeImage(out, { tile: -1, x0: 0, y0: 0, width, height, pixels });
process.stdout.write(`${JSON.stringify({ width, height, tiles: images.length })}\n`);
