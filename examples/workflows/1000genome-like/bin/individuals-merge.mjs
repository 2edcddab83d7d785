// individuals_merge: joins the chunks of one chromosome into one genotype matrix (rows ordered by individual) and
// adds the alternate-allele count of every variant.
import { decodeBlob, encodeBlob, fail, parseArgs, readBytes, required, writeDurable } from '../../lib/common.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
if (positional.length === 0) fail('no chunk files given');
const chunks = positional
  .map((path) => decodeBlob(readBytes(path)))
  .sort((a, b) => a.header.firstIndividual - b.header.firstIndividual);
const variants = chunks[0].header.variants;
const individuals = chunks.reduce((sum, c) => sum + c.header.individuals, 0);
const merged = new Uint8Array(individuals * variants);
let offset = 0;
for (const chunk of chunks) {
  if (chunk.header.variants !== variants)
    fail(`chunk ${chunk.header.chunk} has ${chunk.header.variants} variants, expected ${variants}`);
  merged.set(chunk.payload, offset);
  offset += chunk.payload.length;
}
const counts = new Uint32Array(variants);
for (let i = 0; i < individuals; i++) for (let v = 0; v < variants; v++) counts[v] += merged[i * variants + v];
const segregating = counts.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
const header = { chrom: chunks[0].header.chrom, individuals, variants, segregating };
writeDurable(out, Buffer.concat([encodeBlob(header, merged), Buffer.from(counts.buffer)]));
process.stdout.write(`${JSON.stringify(header)}\n`);
