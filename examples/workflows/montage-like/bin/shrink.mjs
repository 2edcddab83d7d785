// mShrink: block-averages the mosaic by an integer factor.
import { parseArgs, required } from '../../lib/common.mjs';
import { readImage, writeImage } from './image.mjs';

const { options, positional } = parseArgs();
const factor = required(options, 'factor', 'int');
const out = required(options, 'out');
const image = readImage(positional[0]);
const width = Math.floor(image.width / factor);
const height = Math.floor(image.height / factor);
const pixels = new Float32Array(width * height);
for (let y = 0; y < height; y++) {
  for (let x = 0; x < width; x++) {
    let s = 0;
    for (let dy = 0; dy < factor; dy++)
      for (let dx = 0; dx < factor; dx++) s += image.pixels[(y * factor + dy) * image.width + x * factor + dx];
    pixels[y * width + x] = s / (factor * factor);
  }
}
writeImage(out, { tile: -1, x0: 0, y0: 0, width, height, pixels });
process.stdout.write(`${JSON.stringify({ width, height })}\n`);
