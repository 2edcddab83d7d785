import { describe, expect, it } from 'vitest';
import { parseFlowBenchAdjacency, parseWorkflow } from '../src/index.js';

const HOSTILE = ['../../../../x', 'a/b', 'a\\b', '..', '.', 'nul\u0000byte', 'bell\u0007', 'x'.repeat(256)];

/** One two-job workflow per format whose second job is called `bad`. */
function documents(bad: string): Array<{ format: string; text: string }> {
  const json = JSON.stringify(bad);
  const xml = bad.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return [
    { format: 'flowbench-adjacency', text: JSON.stringify({ ok: [bad], [bad]: [] }) },
    {
      format: 'pegasus-yaml',
      text: `pegasus: '5.0'\nname: w\njobs:\n- { type: job, name: t, id: ok }\n- { type: job, name: t, id: ${json} }\njobDependencies:\n- { id: ok, children: [${json}] }\n`,
    },
    {
      format: 'pegasus-dax',
      text: `<?xml version="1.0"?>\n<adag xmlns="http://pegasus.isi.edu/schema/DAX" version="3.6" name="w"><job id="ok" name="t"/><job id="${xml}" name="t"/><child ref="${xml}"><parent ref="ok"/></child></adag>\n`,
    },
    {
      format: 'wfformat',
      text: JSON.stringify({
        name: 'w',
        schemaVersion: '1.5',
        workflow: {
          specification: {
            tasks: [
              { id: 'ok', name: 't', parents: [], children: [bad] },
              { id: bad, name: 't', parents: ['ok'], children: [] },
            ],
          },
        },
      }),
    },
    { format: 'dagman', text: `JOB ok ok.sub\nJOB ${bad} bad.sub\nPARENT ok CHILD ${bad}\n` },
  ];
}

describe('job names in every workflow format', () => {
  for (const bad of HOSTILE) {
    for (const { format, text } of documents(bad)) {
      // DAGMan is whitespace-separated and XML forbids most control characters: there such a name may fail as syntax.
      it(`refuses ${JSON.stringify(bad.slice(0, 20))} in ${format}`, () => {
        let error: unknown;
        try {
          parseWorkflow(text, { format: format as never, source: `w.${format}` });
        } catch (caught) {
          error = caught;
        }
        expect(error).toMatchObject({ code: expect.stringMatching(/^PROTEUS_GRAPH_/) });
        if (!['dagman', 'pegasus-dax'].includes(format) || [...bad].every((c) => c > ' ')) {
          expect(error).toMatchObject({ code: 'PROTEUS_GRAPH_INVALID_JOB_NAME' });
        }
      });
    }
  }

  it('names every bad job with its position and reason', () => {
    expect(() => parseFlowBenchAdjacency({ '../a': [], ok: [], 'b/c': [] })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_INVALID_JOB_NAME',
        details: {
          jobs: [
            { job: '../a', position: 0, problem: 'separator' },
            { job: 'b/c', position: 2, problem: 'separator' },
          ],
        },
      }),
    );
  });

  it('keeps dots, dashes, spaces and non-ASCII letters inside names', () => {
    const graph = parseFlowBenchAdjacency({ 'a..b': ['c-d e'], 'c-d e': ['é.x'], 'é.x': [] });
    expect(graph.jobNames()).toEqual(['a..b', 'c-d e', 'é.x']);
  });
});

describe('duplicate adjacency edges', () => {
  it('throws PROTEUS_GRAPH_DUPLICATE_EDGE listing each repeat', () => {
    expect(() => parseFlowBenchAdjacency({ a: ['b', 'c', 'b'], b: [], c: [] })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_DUPLICATE_EDGE',
        details: { edges: [{ parent: 'a', child: 'b', path: '$["a"][2]' }] },
      }),
    );
  });
});
