// mViewer: renders the mosaic as an 8-bit PGM with a histogram-equalised stretch.
import { parseArgs, required, writeDurable } from '../../lib/common.mjs';
import { readImage } from './image.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
const image = readImage(positional[0]);
const sorted = Float32Array.from(image.pixels).sort();
const bytes = new Uint8Array(image.pixels.length);
for (let i = 0; i < bytes.length; i++) {
  // Rank of the pixel among all pixels (binary search) -> grey level.
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < image.pixels[i]) lo = mid + 1;
    else hi = mid;
  }
  bytes[i] = Math.min(255, Math.floor((256 * lo) / sorted.length));
}
writeDurable(out, Buffer.concat([Buffer.from(`P5\n${image.width} ${image.height}\n255\n`), Buffer.from(bytes)]));
process.stdout.write(`${JSON.stringify({ width: image.width, height: image.height })}\n`);
