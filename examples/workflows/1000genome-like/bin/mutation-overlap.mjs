// mutation_overlap: for one population, counts the damaging mutations every pair of individuals shares and writes
// the histogram of shared counts (the 1000 Genomes workflow's overlap analysis).
import { parseArgs, required, writeDurable } from '../../lib/common.mjs';
import { loadPopulation } from './population-data.mjs';

const { options, positional } = parseArgs();
const population = required(options, 'pop');
const out = required(options, 'out');
const [merged, sifted, populations] = positional;
const { header, genotypes, members, damaging } = loadPopulation(merged, sifted, populations, population);
const variants = header.variants;
const carriers = members.map((g) => {
  const row = new Uint8Array(damaging.length);
  for (let d = 0; d < damaging.length; d++) row[d] = genotypes[g * variants + damaging[d]] > 0 ? 1 : 0;
  return row;
});
const histogram = new Map();
for (let a = 0; a < carriers.length; a++) {
  for (let b = a + 1; b < carriers.length; b++) {
    const x = carriers[a];
    const y = carriers[b];
    let shared = 0;
    for (let d = 0; d < x.length; d++) shared += x[d] & y[d];
    histogram.set(shared, (histogram.get(shared) ?? 0) + 1);
  }
}
const result = {
  chrom: header.chrom,
  population,
  individuals: members.length,
  damaging: damaging.length,
  histogram: Object.fromEntries([...histogram].sort((p, q) => p[0] - q[0])),
};
writeDurable(out, `${JSON.stringify(result)}\n`);
process.stdout.write(`${JSON.stringify({ population, pairs: (members.length * (members.length - 1)) / 2 })}\n`);
