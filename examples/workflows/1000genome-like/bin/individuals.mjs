// individuals: simulates the genotypes of one chunk of individuals on one chromosome (the 1000 Genomes
// `individuals` step parses a VCF chunk; here the chunk is generated from the seed), and measures linkage between
// neighbouring variants on every core of the worker. Output: a blob of uint8 genotypes (0, 1, 2 alternate alleles),
// one row per individual, written with direct I/O.
import { createRandom, encodeBlob, parseArgs, required, runParallel, writeDurable } from '../../lib/common.mjs';

const { options } = parseArgs();
const seed = required(options, 'seed', 'int');
const chrom = required(options, 'chrom', 'int');
const chunk = required(options, 'chunk', 'int');
const individuals = required(options, 'individuals', 'int');
const variants = required(options, 'variants', 'int');
const window = Number(options.window ?? 12);
const out = required(options, 'out');

// Allele frequencies belong to the chromosome (same for every chunk); genotypes to the chunk.
const frequencyOf = createRandom(seed, chrom, 7);
const frequencies = new Float64Array(variants);
for (let v = 0; v < variants; v++) frequencies[v] = 0.5 * frequencyOf() ** 3;
const random = createRandom(seed, chrom, chunk, 11);
const genotypes = new Uint8Array(individuals * variants);
for (let i = 0; i < individuals; i++) {
  // Haplotype blocks: one haplotype often copies the previous variant's allele (linkage).
  let previous = 0;
  for (let v = 0; v < variants; v++) {
    const p = frequencies[v];
    const a = random() < 0.6 ? previous : random() < p ? 1 : 0;
    const b = random() < p ? 1 : 0;
    previous = a;
    genotypes[i * variants + v] = a + b;
  }
}
// Centred genotypes, variant-major, and their norms, shared with the threads.
const centred = new Float64Array(new SharedArrayBuffer(8 * individuals * variants));
const norms = new Float64Array(new SharedArrayBuffer(8 * variants));
for (let v = 0; v < variants; v++) {
  let s = 0;
  for (let i = 0; i < individuals; i++) s += genotypes[i * variants + v];
  const mean = s / individuals;
  let norm = 0;
  for (let i = 0; i < individuals; i++) {
    const x = genotypes[i * variants + v] - mean;
    centred[v * individuals + i] = x;
    norm += x * x;
  }
  norms[v] = norm;
}
const block = 256;
const parts = await runParallel(
  new URL('./kernels.mjs', import.meta.url).href,
  'linkage',
  Math.ceil(variants / block),
  {
    centred,
    norms,
    individuals,
    variants,
    window,
    block,
  },
);
const sum = parts.reduce((total, [s]) => total + s, 0);
const pairs = parts.reduce((total, [, n]) => total + n, 0);
const header = {
  chrom,
  chunk,
  individuals,
  variants,
  firstIndividual: chunk * individuals,
  meanR2: pairs ? sum / pairs : 0,
};
writeDurable(out, encodeBlob(header, genotypes));
process.stdout.write(`${JSON.stringify(header)}\n`);
