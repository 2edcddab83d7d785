// mConcatFit: gathers the plane fits of every overlapping pair into one table.
import { readFileSync } from 'node:fs';
import { parseArgs, required, writeDurable } from '../../lib/common.mjs';

const { options, positional } = parseArgs();
const out = required(options, 'out');
const rows = positional.map((path) => readFileSync(path, 'utf8').trim()).filter(Boolean);
writeDurable(out, `first\tsecond\ta\tb\tc\tpixels\n${rows.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ fits: rows.length })}\n`);
