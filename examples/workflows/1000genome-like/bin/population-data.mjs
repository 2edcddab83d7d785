// Shared by mutation_overlap and frequency: loads the merged genotypes, the SIFT table and the population list,
// and returns the individuals of one population and the damaging variants.
import { readFileSync } from 'node:fs';
import { decodeBlob, fail, readBytes } from '../../lib/common.mjs';

export function loadPopulation(mergedPath, siftedPath, populationsPath, population) {
  const bytes = readBytes(mergedPath);
  const { header, payload } = decodeBlob(bytes);
  const genotypes = payload.subarray(0, header.individuals * header.variants);
  const populations = readFileSync(populationsPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0]);
  const index = populations.indexOf(population);
  if (index < 0) fail(`population ${population} is not in ${populationsPath} (${populations.join(', ')})`);
  const members = [];
  for (let g = 0; g < header.individuals; g++) if (g % populations.length === index) members.push(g);
  const damaging = readFileSync(siftedPath, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .filter((cells) => Number(cells[2]) < 0.05)
    .map((cells) => Number(cells[0]))
    .sort((a, b) => a - b);
  return { header, genotypes, members, damaging };
}
