// mBackground: removes a tile's modelled background plane.
import { readFileSync } from 'node:fs';
import { parseArgs, required } from '../../lib/common.mjs';
import { readImage, writeImage } from './image.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
const image = readImage(positional[0]);
const row = readFileSync(positional[1], 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t').map(Number))
  .find((cells) => cells[0] === image.tile);
const [, a, b, c] = row ?? [image.tile, 0, 0, 0];
const pixels = new Float32Array(image.pixels.length);
for (let y = 0; y < image.height; y++) {
  for (let x = 0; x < image.width; x++) {
    const i = y * image.width + x;
    pixels[i] = image.pixels[i] - (a + b * (x + image.x0) + c * (y + image.y0));
  }
}
writeImage(out, { ...image, pixels });
process.stdout.write(`${JSON.stringify({ tile: image.tile, plane: [a, b, c] })}\n`);
