// mDiffFit: subtracts two overlapping tiles on their common area and fits a plane a + b*x + c*y to the difference
// (least squares, normal equations), which is what the background model needs.
import { parseArgs, required, writeDurable } from '../../lib/common.mjs';
import { readImage } from './image.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
const [first, second] = positional.map(readImage);
const xa = Math.max(first.x0, second.x0);
const xb = Math.min(first.x0 + first.width, second.x0 + second.width);
const ya = Math.max(first.y0, second.y0);
const yb = Math.min(first.y0 + first.height, second.y0 + second.height);
// Normal equations of [1, x, y] for 3 unknowns.
const m = new Float64Array(9);
const v = new Float64Array(3);
let count = 0;
for (let y = ya; y < yb; y++) {
  for (let x = xa; x < xb; x++) {
    const d =
      first.pixels[(y - first.y0) * first.width + (x - first.x0)] -
      second.pixels[(y - second.y0) * second.width + (x - second.x0)];
    const basis = [1, x, y];
    for (let i = 0; i < 3; i++) {
      v[i] += basis[i] * d;
      for (let j = 0; j < 3; j++) m[i * 3 + j] += basis[i] * basis[j];
    }
    count++;
  }
}
const solution = solve3(m, v);
writeDurable(out, `${first.tile}\t${second.tile}\t${solution.map((s) => s.toExponential(6)).join('\t')}\t${count}\n`);
process.stdout.write(`${JSON.stringify({ pair: [first.tile, second.tile], overlap: count })}\n`);

function solve3(a, b) {
  const m = [...a];
  const r = [...b];
  for (let c = 0; c < 3; c++) {
    let pivot = c;
    for (let i = c + 1; i < 3; i++) if (Math.abs(m[i * 3 + c]) > Math.abs(m[pivot * 3 + c])) pivot = i;
    for (let j = 0; j < 3; j++) [m[c * 3 + j], m[pivot * 3 + j]] = [m[pivot * 3 + j], m[c * 3 + j]];
    [r[c], r[pivot]] = [r[pivot], r[c]];
    for (let i = 0; i < 3; i++) {
      if (i === c || m[c * 3 + c] === 0) continue;
      const f = m[i * 3 + c] / m[c * 3 + c];
      for (let j = 0; j < 3; j++) m[i * 3 + j] -= f * m[c * 3 + j];
      r[i] -= f * r[c];
    }
  }
  return [0, 1, 2].map((i) => (m[i * 3 + i] === 0 ? 0 : r[i] / m[i * 3 + i]));
}
