// Shared by mutation_overlap and frequency: loads the merged genotypes (direct I/O), the SIFT table and the
// population list, and returns the individuals of one population, the damaging variants and their genotypes as a
// member-major matrix in a SharedArrayBuffer (`carriers[m * damaging.length + d]`, alternate alleles).
import { decodeBlob, fail, readBytes, readText } from '../../lib/common.mjs';

export function loadPopulation(mergedPath, siftedPath, populationsPath, population) {
  const { header, payload } = decodeBlob(readBytes(mergedPath));
  const genotypes = payload.subarray(0, header.individuals * header.variants);
  const populations = readText(populationsPath)
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0]);
  const index = populations.indexOf(population);
  if (index < 0) fail(`population ${population} is not in ${populationsPath} (${populations.join(', ')})`);
  const members = [];
  for (let g = 0; g < header.individuals; g++) if (g % populations.length === index) members.push(g);
  const damaging = readText(siftedPath)
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split('\t'))
    .filter((cells) => Number(cells[2]) < 0.05)
    .map((cells) => Number(cells[0]))
    .sort((a, b) => a - b);
  const carriers = new Uint8Array(new SharedArrayBuffer(members.length * damaging.length));
  for (let m = 0; m < members.length; m++) {
    const row = members[m] * header.variants;
    for (let d = 0; d < damaging.length; d++) carriers[m * damaging.length + d] = genotypes[row + damaging[d]];
  }
  return { header, members, damaging, carriers };
}
