// individuals: simulates the genotypes of one chunk of individuals on one chromosome (the 1000 Genomes
// `individuals` step parses a VCF chunk; here the chunk is generated from the seed), and measures linkage between
// neighbouring variants. Output: a blob of uint8 genotypes (0, 1, 2 alternate alleles), one row per individual.
import { createRandom, encodeBlob, parseArgs, required, writeDurable } from '../../lib/common.mjs';

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
// Mean r^2 between each variant and the next `window` ones.
let sum = 0;
let pairs = 0;
const mean = new Float64Array(variants);
for (let v = 0; v < variants; v++) {
  let s = 0;
  for (let i = 0; i < individuals; i++) s += genotypes[i * variants + v];
  mean[v] = s / individuals;
}
for (let v = 0; v < variants; v++) {
  for (let w = v + 1; w < Math.min(variants, v + 1 + window); w++) {
    let cov = 0;
    let varV = 0;
    let varW = 0;
    for (let i = 0; i < individuals; i++) {
      const x = genotypes[i * variants + v] - mean[v];
      const y = genotypes[i * variants + w] - mean[w];
      cov += x * y;
      varV += x * x;
      varW += y * y;
    }
    if (varV > 0 && varW > 0) {
      sum += (cov * cov) / (varV * varW);
      pairs++;
    }
  }
}
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
