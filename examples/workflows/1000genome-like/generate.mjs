#!/usr/bin/env node
// Writes the 1000genome-like workflow: per chromosome, an `individuals` fan-out over chunks of individuals, an
// `individuals_merge`, a `sifting`, then a `mutation_overlap` and a `frequency` job per population.
// Usage: node generate.mjs [--scale small|normal] [--seed N] [--out workflow.yml]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIds, generatorArgs, writeWorkflowYaml } from '../lib/pegasus-yaml.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { scale, seed, out } = generatorArgs(join(here, 'workflow.yml'));
const size =
  scale === 'small'
    ? {
        chromosomes: 1,
        chunks: 2,
        individuals: 200,
        variants: 10000,
        window: 300,
        populations: ['AFR', 'EUR'],
        rounds: 1000,
      }
    : {
        chromosomes: 2,
        chunks: 5,
        individuals: 200,
        variants: 20000,
        window: 300,
        populations: ['AFR', 'EUR', 'EAS', 'SAS'],
        rounds: 600,
      };
const script = (name) => join(here, 'bin', `${name}.mjs`);
const nextId = createIds();
const jobs = [];
for (let chrom = 1; chrom <= size.chromosomes; chrom++) {
  const chunkFiles = [];
  for (let chunk = 0; chunk < size.chunks; chunk++) {
    const file = `chr${chrom}n-${chunk}.bin`;
    chunkFiles.push(file);
    const args = [
      '--seed',
      seed,
      '--chrom',
      chrom,
      '--chunk',
      chunk,
      '--individuals',
      size.individuals,
      '--variants',
      size.variants,
      '--window',
      size.window,
      '--out',
      file,
    ];
    jobs.push({ id: nextId(), name: 'individuals', args: args.map(String), inputs: [], outputs: [file] });
  }
  const merged = `chr${chrom}n.bin`;
  jobs.push({
    id: nextId(),
    name: 'individuals_merge',
    args: ['--out', merged, ...chunkFiles],
    inputs: chunkFiles,
    outputs: [merged],
  });
  const sifted = `sifted.SIFT.chr${chrom}.txt`;
  const siftArgs = ['--seed', seed, '--chrom', chrom, '--variants', size.variants, '--out', sifted].map(String);
  jobs.push({ id: nextId(), name: 'sifting', args: siftArgs, inputs: [], outputs: [sifted] });
  for (const pop of size.populations) {
    const inputs = [merged, sifted, 'populations.txt'];
    const overlap = `chr${chrom}-${pop}.overlap.json`;
    jobs.push({
      id: nextId(),
      name: 'mutation_overlap',
      args: ['--pop', pop, '--out', overlap, ...inputs],
      inputs,
      outputs: [overlap],
    });
    const freq = `chr${chrom}-${pop}.freq.tsv`;
    const freqArgs = ['--pop', pop, '--seed', String(seed), '--rounds', String(size.rounds), '--out', freq, ...inputs];
    jobs.push({ id: nextId(), name: 'frequency', args: freqArgs, inputs, outputs: [freq] });
  }
}
const path = writeWorkflowYaml(
  {
    name: '1000genome-like',
    transformations: {
      individuals: script('individuals'),
      individuals_merge: script('individuals-merge'),
      sifting: script('sifting'),
      mutation_overlap: script('mutation-overlap'),
      frequency: script('frequency'),
    },
    jobs,
    rawInputs: [join(here, 'populations.txt')],
  },
  out,
);
process.stdout.write(`${path}: ${jobs.length} jobs (${scale})\n`);
