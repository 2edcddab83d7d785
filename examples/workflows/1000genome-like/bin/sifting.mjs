// sifting: scores every variant of a chromosome for deleteriousness (SIFT-like, 0 = damaging) and writes the
// annotation table sorted by gene, then score.
import { createRandom, parseArgs, required, writeDurable } from '../../lib/common.mjs';

const { options } = parseArgs();
const seed = required(options, 'seed', 'int');
const chrom = required(options, 'chrom', 'int');
const variants = required(options, 'variants', 'int');
const out = required(options, 'out');
const random = createRandom(seed, chrom, 23);
const rows = [];
for (let v = 0; v < variants; v++) {
  const gene = `G${chrom}_${Math.floor(v / 40)}`;
  // A mixture: most variants are tolerated, a tail is damaging.
  const sift = random() < 0.25 ? random() * 0.05 : 0.05 + random() * 0.95;
  const polyphen = Math.min(1, Math.max(0, 1 - sift + (random() - 0.5) * 0.2));
  rows.push({ v, gene, sift, polyphen });
}
rows.sort((a, b) => (a.gene < b.gene ? -1 : a.gene > b.gene ? 1 : a.sift - b.sift));
const text = rows.map((r) => `${r.v}\t${r.gene}\t${r.sift.toFixed(4)}\t${r.polyphen.toFixed(4)}`).join('\n');
writeDurable(out, `variant\tgene\tsift\tpolyphen\n${text}\n`);
process.stdout.write(`${JSON.stringify({ chrom, variants, damaging: rows.filter((r) => r.sift < 0.05).length })}\n`);
