// mutation_overlap: for one population, counts the damaging mutations every pair of individuals shares and writes
// the histogram of shared counts (the 1000 Genomes workflow's overlap analysis), on every core of the worker.
import { parseArgs, required, runParallel, writeDurable } from '../../lib/common.mjs';
import { loadPopulation } from './population-data.mjs';

const { options, positional } = parseArgs();
const population = required(options, 'pop');
const out = required(options, 'out');
const [merged, sifted, populations] = positional;
const { header, members, damaging, carriers } = loadPopulation(merged, sifted, populations, population);
const carrying = new Uint8Array(new SharedArrayBuffer(carriers.length));
for (let i = 0; i < carriers.length; i++) carrying[i] = carriers[i] > 0 ? 1 : 0;
const parts = await runParallel(new URL('./kernels.mjs', import.meta.url).href, 'overlap', members.length, {
  carrying,
  members: members.length,
  damagingCount: damaging.length,
});
const histogram = {};
for (const part of parts) {
  for (const [shared, pairs] of part.entries()) if (pairs) histogram[shared] = (histogram[shared] ?? 0) + pairs;
}
const result = {
  chrom: header.chrom,
  population,
  individuals: members.length,
  damaging: damaging.length,
  histogram,
};
writeDurable(out, `${JSON.stringify(result)}\n`);
process.stdout.write(`${JSON.stringify({ population, pairs: (members.length * (members.length - 1)) / 2 })}\n`);
