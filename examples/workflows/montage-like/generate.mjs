#!/usr/bin/env node
// Writes the montage-like workflow: an `mProject` fan-out over a grid of tiles, `mDiffFit` for every pair of
// neighbours, `mConcatFit` and `mBgModel`, an `mBackground` fan-out, then `mAdd`, `mShrink` and `mViewer`.
// Usage: node generate.mjs [--scale small|normal] [--seed N] [--out workflow.yml]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIds, generatorArgs, writeWorkflowYaml } from '../lib/pegasus-yaml.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { scale, seed, out } = generatorArgs(join(here, 'workflow.yml'));
const size =
  scale === 'small'
    ? { columns: 2, rows: 2, pixels: 512, stars: 1000, iterations: 50, oversample: 6 }
    : { columns: 4, rows: 3, pixels: 900, stars: 6000, iterations: 200, oversample: 7 };
const script = (name) => join(here, 'bin', `${name}.mjs`);
const nextId = createIds();
const jobs = [];
const tiles = size.columns * size.rows;
const projected = [];
for (let tile = 0; tile < tiles; tile++) {
  const file = `p_${tile}.img`;
  projected.push(file);
  const args = [
    '--seed',
    seed,
    '--tile',
    tile,
    '--columns',
    size.columns,
    '--size',
    size.pixels,
    '--stars',
    size.stars,
    '--oversample',
    size.oversample,
    '--out',
    file,
  ];
  jobs.push({ id: nextId(), name: 'mProject', args: args.map(String), inputs: [], outputs: [file] });
}
const fits = [];
for (let tile = 0; tile < tiles; tile++) {
  const column = tile % size.columns;
  const neighbours = [];
  if (column + 1 < size.columns) neighbours.push(tile + 1);
  if (tile + size.columns < tiles) neighbours.push(tile + size.columns);
  for (const other of neighbours) {
    const fit = `fit_${tile}_${other}.txt`;
    fits.push(fit);
    const inputs = [`p_${tile}.img`, `p_${other}.img`];
    jobs.push({ id: nextId(), name: 'mDiffFit', args: ['--out', fit, ...inputs], inputs, outputs: [fit] });
  }
}
jobs.push({
  id: nextId(),
  name: 'mConcatFit',
  args: ['--out', 'fits.tbl', ...fits],
  inputs: fits,
  outputs: ['fits.tbl'],
});
const model = ['--tiles', tiles, '--iterations', size.iterations, '--out', 'corrections.tbl', 'fits.tbl'].map(String);
jobs.push({ id: nextId(), name: 'mBgModel', args: model, inputs: ['fits.tbl'], outputs: ['corrections.tbl'] });
const corrected = [];
for (let tile = 0; tile < tiles; tile++) {
  const file = `c_${tile}.img`;
  corrected.push(file);
  const inputs = [`p_${tile}.img`, 'corrections.tbl'];
  jobs.push({ id: nextId(), name: 'mBackground', args: ['--out', file, ...inputs], inputs, outputs: [file] });
}
jobs.push({
  id: nextId(),
  name: 'mAdd',
  args: ['--out', 'mosaic.img', ...corrected],
  inputs: corrected,
  outputs: ['mosaic.img'],
});
jobs.push({
  id: nextId(),
  name: 'mShrink',
  args: ['--factor', '4', '--out', 'mosaic_small.img', 'mosaic.img'],
  inputs: ['mosaic.img'],
  outputs: ['mosaic_small.img'],
});
jobs.push({
  id: nextId(),
  name: 'mViewer',
  args: ['--out', 'mosaic.pgm', 'mosaic_small.img'],
  inputs: ['mosaic_small.img'],
  outputs: ['mosaic.pgm'],
});
const path = writeWorkflowYaml(
  {
    name: 'montage-like',
    transformations: {
      mProject: script('project'),
      mDiffFit: script('diff-fit'),
      mConcatFit: script('concat-fit'),
      mBgModel: script('bg-model'),
      mBackground: script('background'),
      mAdd: script('add'),
      mShrink: script('shrink'),
      mViewer: script('viewer'),
    },
    jobs,
  },
  out,
);
process.stdout.write(`${path}: ${jobs.length} jobs (${scale})\n`);
