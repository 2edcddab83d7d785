import { readFileSync } from 'node:fs';
import { createRng, isProteusError, type Rng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { parseWorkflow, toJson, type WorkflowInputFormat } from '../src/index.js';
import { fixture, hasSharedDatasets, sharedDataset } from './helpers.js';

// Feeds truncated and corrupted inputs of every format to the parsers: each either parses or throws a ProteusError.
const ROUNDS = 150;
const NOISE = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '<',
  '>',
  '/',
  '=',
  '-',
  ' ',
  '\n',
  '\t',
  '#',
  '&',
  '\\',
  '\u0000',
  'é',
  'JOB ',
  'PARENT ',
  '- ',
  '*a',
  '&a ',
  '!!binary ',
];

function corrupt(text: string, rng: Rng): string {
  const at = rng.int(0, text.length);
  switch (rng.int(0, 4)) {
    case 0:
      return text.slice(0, at); // truncated
    case 1: {
      const chars = text.split('');
      for (let k = rng.int(1, 8); k > 0; k--)
        chars[rng.int(0, Math.max(0, chars.length - 1))] = rng.sample(NOISE, 1)[0] as string;
      return chars.join('');
    }
    case 2:
      return text.slice(0, at) + text.slice(Math.min(text.length, at + rng.int(1, 200)));
    case 3: {
      const from = rng.int(0, text.length);
      return text.slice(0, at) + text.slice(from, from + rng.int(1, 300)) + text.slice(at);
    }
    default:
      return text.slice(0, at) + rng.sample(NOISE, 3).join('') + text.slice(at);
  }
}

interface Corpus {
  name: string;
  format: WorkflowInputFormat;
  text: string;
}

const corpora: Corpus[] = [
  { name: 'wfformat 1.5', format: 'wfformat', text: readFileSync(fixture('blast-wfformat-1.5.json'), 'utf8') },
  { name: 'wfformat jobs', format: 'json', text: readFileSync(fixture('epigenomics-wfformat-jobs.json'), 'utf8') },
  { name: 'dagman', format: 'dagman', text: readFileSync(fixture('diamond-0.dag'), 'utf8') },
  { name: 'pegasus yaml', format: 'pegasus-yaml', text: readFileSync(fixture('diamond.yml'), 'utf8') },
  {
    name: 'dax 3.0',
    format: 'pegasus-dax',
    text: readFileSync(fixture('diamond-3.0.dax'), 'utf8'),
  },
  {
    name: 'dax 3.6',
    format: 'pegasus-dax',
    text: readFileSync(fixture('montage-small-3.6.xml'), 'utf8'),
  },
];
if (hasSharedDatasets) {
  const genome = readFileSync(sharedDataset('flowbench/adjacency_list_dags/1000genome.json'), 'utf8');
  corpora.push({ name: 'flowbench adjacency', format: 'flowbench-adjacency', text: genome });
  corpora.push({
    name: 'node-link',
    format: 'json',
    text: JSON.stringify(toJson(parseWorkflow(genome, { format: 'flowbench-adjacency' }))),
  });
}

describe('parsers under corrupted input', () => {
  it.each(corpora.map((c) => [c.name, c] as const))('%s: only ProteusErrors come out', (_name, corpus) => {
    const rng = createRng(20261121);
    const codes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const input = corrupt(corpus.text, rng);
      try {
        parseWorkflow(input, { format: corpus.format, source: `fuzz-${round}` });
        codes.set('parsed', (codes.get('parsed') ?? 0) + 1);
      } catch (error) {
        if (!isProteusError(error))
          throw new Error(`round ${round}: ${String(error)}\ninput: ${JSON.stringify(input.slice(0, 500))}`);
        expect(error.message.length).toBeGreaterThan(20);
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      }
    }
    // The corruption must actually break inputs, or the test proves nothing.
    const failures = ROUNDS - (codes.get('parsed') ?? 0);
    expect(failures).toBeGreaterThan(ROUNDS / 4);
  });
});
