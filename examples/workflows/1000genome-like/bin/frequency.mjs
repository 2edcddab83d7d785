// frequency: the alternate-allele frequency of every damaging variant in one population, with bootstrap
// confidence intervals from resampling the individuals.
import { createRandom, parseArgs, required, writeDurable } from '../../lib/common.mjs';
import { loadPopulation } from './population-data.mjs';

const { options, positional } = parseArgs();
const population = required(options, 'pop');
const seed = required(options, 'seed', 'int');
const rounds = required(options, 'rounds', 'int');
const out = required(options, 'out');
const [merged, sifted, populations] = positional;
const { header, genotypes, members, damaging } = loadPopulation(merged, sifted, populations, population);
const variants = header.variants;
const random = createRandom(seed, header.chrom, population.charCodeAt(0), 31);
const estimates = damaging.map(() => new Float64Array(rounds));
for (let r = 0; r < rounds; r++) {
  const sample = members.map(() => members[Math.floor(random() * members.length)]);
  for (let d = 0; d < damaging.length; d++) {
    let alleles = 0;
    for (const g of sample) alleles += genotypes[g * variants + damaging[d]];
    estimates[d][r] = alleles / (2 * sample.length);
  }
}
const lines = ['variant\tfrequency\tlow\thigh'];
for (let d = 0; d < damaging.length; d++) {
  const sorted = Array.from(estimates[d]).sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / rounds;
  lines.push(
    `${damaging[d]}\t${mean.toFixed(5)}\t${sorted[Math.floor(0.025 * rounds)].toFixed(5)}\t${sorted[Math.floor(0.975 * (rounds - 1))].toFixed(5)}`,
  );
}
writeDurable(out, `${lines.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ population, damaging: damaging.length, rounds })}\n`);
