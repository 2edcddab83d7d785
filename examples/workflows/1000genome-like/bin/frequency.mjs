// frequency: the alternate-allele frequency of every damaging variant in one population, with bootstrap
// confidence intervals from resampling the individuals (on every core of the worker).
import { createRandom, parseArgs, required, runParallel, writeDurable } from '../../lib/common.mjs';
import { loadPopulation } from './population-data.mjs';

const { options, positional } = parseArgs();
const population = required(options, 'pop');
const seed = required(options, 'seed', 'int');
const rounds = required(options, 'rounds', 'int');
const out = required(options, 'out');
const [merged, sifted, populations] = positional;
const { header, members, damaging, carriers } = loadPopulation(merged, sifted, populations, population);
const random = createRandom(seed, header.chrom, population.charCodeAt(0), 31);
const samples = new Int32Array(new SharedArrayBuffer(4 * rounds * members.length));
for (let i = 0; i < samples.length; i++) samples[i] = Math.floor(random() * members.length);
const block = 128;
const parts = await runParallel(
  new URL('./kernels.mjs', import.meta.url).href,
  'bootstrap',
  Math.ceil(damaging.length / block),
  { carriers, damaging: Int32Array.from(damaging), samples, members: members.length, rounds, block },
);
writeDurable(out, `variant\tfrequency\tlow\thigh\n${parts.flat().join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ population, damaging: damaging.length, rounds })}\n`);
