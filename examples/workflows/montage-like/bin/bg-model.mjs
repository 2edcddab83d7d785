// mBgModel: finds one background plane per tile so that corrected neighbours agree on their overlaps
// (iterative relaxation over the pairwise fits, as Montage does), with tile 0 as the reference.
import { readFileSync } from 'node:fs';
import { parseArgs, required, writeDurable } from '../../lib/common.mjs';

const { options, positional } = parseArgs();
const tiles = required(options, 'tiles', 'int');
const iterations = required(options, 'iterations', 'int');
const out = required(options, 'out');
const fits = readFileSync(positional[0], 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t').map(Number));
const correction = Array.from({ length: tiles }, () => [0, 0, 0]);
for (let it = 0; it < iterations; it++) {
  for (let t = 1; t < tiles; t++) {
    const sum = [0, 0, 0];
    let weight = 0;
    for (const [i, j, a, b, c, n] of fits) {
      // diff(i - j) = plane; corrected(i) - corrected(j) should vanish.
      if (i === t) for (const [k, value] of [a, b, c].entries()) sum[k] += n * (value + correction[j][k]);
      else if (j === t) for (const [k, value] of [a, b, c].entries()) sum[k] += n * (correction[i][k] - value);
      else continue;
      weight += n;
    }
    if (weight > 0) correction[t] = sum.map((s) => s / weight);
  }
}
const lines = correction.map((c, t) => `${t}\t${c.map((x) => x.toExponential(6)).join('\t')}`);
writeDurable(out, `tile\ta\tb\tc\n${lines.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ tiles, iterations })}\n`);
