import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adjacencyHash,
  loadWorkflowGraph,
  parseWorkflow,
  parseWorkflowJson,
  toJson,
  type WorkflowGraph,
} from '../src/index.js';
import { createTempDir, fixture, hasSharedDatasets, sharedDataset } from './helpers.js';

const namedEdges = (graph: WorkflowGraph) => {
  const names = graph.jobNames();
  return graph.edges().map(([p, c]) => `${names[p]}->${names[c]}`);
};

describe('Pegasus YAML 5.0', () => {
  it('reads jobs by id, explicit dependencies plus file edges, and the transformation catalog', async () => {
    const graph = await loadWorkflowGraph(fixture('diamond.yml'));
    expect(graph.attributes).toMatchObject({ workflow: 'diamond', format: 'pegasus-yaml' });
    expect(graph.jobNames()).toEqual(['ID0000001', 'ID0000002', 'ID0000003', 'ID0000004']);
    // Only ID0000001 -> ID0000002 is explicit; the other three come from f.b2, f.c1 and f.c2.
    expect(namedEdges(graph)).toEqual([
      'ID0000001->ID0000002',
      'ID0000001->ID0000003',
      'ID0000002->ID0000004',
      'ID0000003->ID0000004',
    ]);
    expect(graph.job('ID0000001')).toEqual({
      name: 'ID0000001',
      type: 'compute',
      transformation: 'diamond::preprocess:4.0',
      arguments: ['-a', 'preprocess', '-T', '60', '-i', 'f.a', '-o', 'f.b1', 'f.b2'],
      uses: [
        { lfn: 'f.a', link: 'input' },
        { lfn: 'f.b1', link: 'output' },
        { lfn: 'f.b2', link: 'output' },
      ],
      profiles: { env: { KEG_LEVEL: '2' }, pegasus: { cores: '1' } },
    });
    expect(graph.job('ID0000004').transformation).toBe('analyze');
    expect(graph.attributes.transformations?.preprocess).toEqual({
      namespace: 'diamond',
      version: '4.0',
      site: 'condorpool',
      pfn: '/usr/bin/pegasus-keg',
      container: 'centos-base',
    });
  });

  it('reports a syntax error with its line and column', () => {
    const text = 'pegasus: "5.0"\nname: x\njobs:\n  - id: a\n    name: [unclosed\n';
    expect(() => parseWorkflow(text, { source: 'bad.yml' })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_MALFORMED_YAML',
        details: expect.objectContaining({ line: expect.any(Number) }),
      }),
    );
  });

  it('reports a wrong shape with the path and the line of the offending node', () => {
    const text = 'pegasus: "5.0"\nname: x\njobs:\n  - id: a\n    name: t\n  - id: b\n    type: job\n';
    let error: unknown;
    try {
      parseWorkflow(text, { source: 'shape.yml' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'PROTEUS_GRAPH_MALFORMED_YAML', details: { path: '$.jobs[1].name', line: 6 } });
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_DEPENDENCY for a dependency on a job that is not declared', () => {
    const text =
      'pegasus: "5.0"\nname: x\njobs:\n  - { id: a, name: t, arguments: [], uses: [] }\njobDependencies:\n  - { id: a, children: [ghost] }\n';
    expect(() => parseWorkflow(text, { format: 'pegasus-yaml' })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY',
        details: { dependencies: [{ parent: 'a', child: 'ghost', missing: ['ghost'] }] },
      }),
    );
  });

  it('throws PROTEUS_GRAPH_CYCLE when file edges and dependencies loop', () => {
    const text = [
      'pegasus: "5.0"',
      'name: loop',
      'jobs:',
      '  - { id: a, name: t, arguments: [], uses: [{ lfn: x, type: output }] }',
      '  - { id: b, name: t, arguments: [], uses: [{ lfn: x, type: input }] }',
      'jobDependencies:',
      '  - { id: b, children: [a] }',
    ].join('\n');
    expect(() => parseWorkflow(text, { format: 'pegasus-yaml' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_CYCLE', details: { cycle: expect.arrayContaining(['a', 'b']) } }),
    );
  });

  it('throws PROTEUS_GRAPH_EMPTY for a workflow without jobs', () => {
    expect(() => parseWorkflow('pegasus: "5.0"\nname: x\njobs: []\n', { format: 'pegasus-yaml' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_EMPTY' }),
    );
  });
});

describe('Pegasus DAX 3.x', () => {
  it('reads DAX 3.0 (uses file=, <filename> in arguments) into the diamond', async () => {
    const graph = await loadWorkflowGraph(fixture('diamond-3.0.dax'));
    expect(graph.attributes).toMatchObject({ workflow: 'diamond', format: 'pegasus-dax' });
    expect(namedEdges(graph)).toEqual([
      'ID0000001->ID0000002',
      'ID0000001->ID0000003',
      'ID0000002->ID0000004',
      'ID0000003->ID0000004',
    ]);
    expect(graph.job('ID0000001').arguments).toEqual([
      '-a',
      'preprocess',
      '-T',
      '60',
      '-i',
      'f.a',
      '-o',
      'f.b1',
      'f.b2',
    ]);
    expect(graph.job('ID0000002').uses).toEqual([
      { lfn: 'f.b1', link: 'input' },
      { lfn: 'f.c1', link: 'output' },
    ]);
    expect(graph.job('ID0000003').transformation).toBe('diamond::findrange:4.0');
  });

  it('reads DAX 3.6 (uses name=, profiles, executables, a sub-DAX, file edges)', async () => {
    const graph = await loadWorkflowGraph(fixture('montage-small-3.6.xml'));
    expect(graph.workflow).toBe('montage-small');
    expect(namedEdges(graph)).toEqual(['ID0000001->ID0000003', 'ID0000002->ID0000003', 'ID0000003->ID0000004']);
    expect(graph.job('ID0000001')).toMatchObject({
      transformation: 'montage::mProject:6.0',
      arguments: ['-X', 'in-1.fits', 'p-1.fits', '&', 'region.hdr'],
      profiles: { pegasus: { runtime: '30' }, env: { MONTAGE_HOME: '/opt/montage' } },
    });
    expect(graph.job('ID0000004')).toMatchObject({ type: 'subwf', transformation: 'viewer.dax' });
    expect(graph.attributes.transformations).toEqual({
      mProject: { namespace: 'montage', version: '6.0', pfn: 'file:///opt/montage/bin/mProject', site: 'condorpool' },
      mAdd: { namespace: 'montage', pfn: 'file:///opt/montage/bin/mAdd', site: 'condorpool' },
    });
  });

  it('reports malformed XML with line and column', () => {
    const text = '<adag name="x">\n  <job id="a" name="t">\n</adag>\n';
    expect(() => parseWorkflow(text, { source: 'bad.dax' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_XML', details: expect.objectContaining({ line: 3 }) }),
    );
  });

  it('throws PROTEUS_GRAPH_MALFORMED_XML with the element path for a <uses> without name or file', () => {
    const text = '<adag name="x"><job id="a" name="t"><uses link="input"/></job></adag>';
    expect(() => parseWorkflow(text, { format: 'pegasus-dax' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_XML', details: { path: '/adag[1]/job[1]/uses[1]' } }),
    );
  });

  it('throws PROTEUS_GRAPH_DUPLICATE_JOB for two jobs with one id', () => {
    const text = '<adag name="x"><job id="a" name="t"/><job id="a" name="u"/></adag>';
    expect(() => parseWorkflow(text, { format: 'pegasus-dax' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_DUPLICATE_JOB' }),
    );
  });

  it('throws PROTEUS_GRAPH_MALFORMED_XML for XML that is not a DAX', () => {
    expect(() => parseWorkflow('<html><body/></html>', { format: 'pegasus-dax' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_XML' }),
    );
  });
});

describe('WfCommons WfFormat', () => {
  it('reads 1.5 specification tasks keyed by id, with programs and arguments from the execution section', async () => {
    const graph = await loadWorkflowGraph(fixture('blast-wfformat-1.5.json'));
    expect(graph.attributes).toMatchObject({ workflow: 'blast-small', format: 'wfformat' });
    expect(graph.jobNames()).toEqual(['00000001', '00000002', '00000003', '00000004', '00000005']);
    expect(graph.edgeCount).toBe(5);
    expect(graph.parents('00000004')).toEqual(['00000002', '00000003']);
    expect(graph.job('00000002')).toMatchObject({
      transformation: 'blastall',
      arguments: ['-p', 'blastp', '-i', 'chunk-1.fasta'],
    });
    expect(graph.job('00000005').transformation).toBe('cat');
    expect(graph.job('00000001').uses).toEqual([
      { lfn: 'query.fasta', link: 'input' },
      { lfn: 'chunk-1.fasta', link: 'output' },
      { lfn: 'chunk-2.fasta', link: 'output' },
    ]);
  });

  it('reads the older workflow.jobs layout keyed by name, parents only', async () => {
    const graph = await loadWorkflowGraph(fixture('epigenomics-wfformat-jobs.json'));
    expect(graph.size).toBe(5);
    expect(namedEdges(graph)).toEqual([
      'fastqSplit_ID0000001->filterContams_ID0000002',
      'fastqSplit_ID0000001->filterContams_ID0000003',
      'filterContams_ID0000002->mapMerge_ID0000004',
      'filterContams_ID0000003->mapMerge_ID0000004',
      'mapMerge_ID0000004->stage_out_local_condorpool_0_0',
    ]);
    expect(graph.job('stage_out_local_condorpool_0_0').type).toBe('transfer');
    expect(graph.job('mapMerge_ID0000004')).toMatchObject({
      transformation: 'mapMerge',
      arguments: ['-o', 'merged.map'],
    });
  });

  it('throws PROTEUS_GRAPH_MALFORMED_JSON with the JSON path of a bad parents list', () => {
    const text = JSON.stringify({ name: 'x', workflow: { specification: { tasks: [{ id: 'a', parents: 'b' }] } } });
    expect(() => parseWorkflow(text, { format: 'wfformat' })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_MALFORMED_JSON',
        details: { path: '$.workflow.specification.tasks[0].parents' },
      }),
    );
  });
});

describe('HTCondor DAGMan', () => {
  it('reads JOB and PARENT/CHILD lines, case-insensitively, ignoring the other keywords and FINAL', async () => {
    const graph = await loadWorkflowGraph(fixture('diamond-0.dag'));
    expect(graph.attributes).toMatchObject({ workflow: 'diamond', format: 'dagman' });
    expect(graph.size).toBe(9);
    expect(graph.edgeCount).toBe(10);
    expect(graph.hasJob('final_node')).toBe(false);
    expect(graph.parents('analyze_ID0000004')).toEqual(['findrange_ID0000002', 'findrange_ID0000003']);
    expect(graph.children('stage_out_local_local_2_0')).toEqual(['register_local_2_0', 'cleanup_diamond_0_local']);
    expect(graph.job('create_dir_diamond_0_local')).toMatchObject({ type: 'auxiliary', transformation: 'create_dir' });
    expect(graph.job('findrange_ID0000003')).toMatchObject({ type: 'compute', transformation: 'findrange' });
  });

  it('throws PROTEUS_GRAPH_MALFORMED_DAG with the line of a PARENT without CHILD', () => {
    expect(() => parseWorkflow('JOB a a.sub\nJOB b b.sub\nPARENT a b\n', { format: 'dagman' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_DAG', details: expect.objectContaining({ line: 3 }) }),
    );
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_DEPENDENCY for a PARENT naming an undeclared job', () => {
    expect(() => parseWorkflow('JOB a a.sub\nPARENT a CHILD b\n', { format: 'dagman' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY' }),
    );
  });
});

describe('toJson and parseWorkflowJson', () => {
  const roundTrip = (graph: WorkflowGraph) =>
    parseWorkflowJson(JSON.stringify(toJson(graph)), { source: 'round-trip.json' });

  it('round-trips a Pegasus YAML graph with every attribute', async () => {
    const graph = await loadWorkflowGraph(fixture('diamond.yml'));
    const back = roundTrip(graph);
    expect(back.attributes.format).toBe('node-link');
    expect(back.jobs()).toEqual(graph.jobs());
    expect(back.edges()).toEqual(graph.edges());
    expect(back.attributes.transformations).toEqual(graph.attributes.transformations);
    expect(adjacencyHash(back)).toBe(adjacencyHash(graph));
  });

  it.skipIf(!hasSharedDatasets)('round-trips montage through a file loadWorkflowGraph reads back', async () => {
    const graph = await loadWorkflowGraph(sharedDataset('flowbench/adjacency_list_dags/montage.json'));
    const json = toJson(graph);
    expect(json.nodes).toHaveLength(539);
    expect(json.links).toHaveLength(2838);
    const back = roundTrip(graph);
    expect(back.jobNames()).toEqual(graph.jobNames());
    expect(back.jobs()).toEqual(graph.jobs());
    expect(adjacencyHash(back)).toBe(adjacencyHash(graph));
    expect(back.workflow).toBe('montage');
  });

  it('reads networkx node_link_data output (edges key, no attributes)', () => {
    const text = readFileSync(fixture('blast-wfformat-1.5.json'), 'utf8');
    const graph = parseWorkflowJson(text);
    const networkx = {
      directed: true,
      multigraph: false,
      graph: {},
      nodes: graph.jobNames().map((id) => ({ id })),
      edges: toJson(graph).links,
    };
    expect(adjacencyHash(parseWorkflowJson(networkx))).toBe(adjacencyHash(graph));
  });

  it('throws PROTEUS_GRAPH_MALFORMED_JSON when node-link is forced on another layout', () => {
    expect(() => parseWorkflow('{"a": []}', { format: 'node-link' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_JSON', details: { path: '$' } }),
    );
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_FORMAT for JSON that is no workflow', () => {
    expect(() => parseWorkflowJson('{"hello": "world"}')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_FORMAT' }),
    );
  });
});

describe('loadWorkflowGraph', () => {
  it('throws PROTEUS_GRAPH_READ_FAILED for a missing file or a folder', async () => {
    await expect(loadWorkflowGraph(fixture('nope.json'))).rejects.toMatchObject({ code: 'PROTEUS_GRAPH_READ_FAILED' });
    await expect(loadWorkflowGraph(fixture(''))).rejects.toMatchObject({ code: 'PROTEUS_GRAPH_READ_FAILED' });
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_FORMAT for an unknown extension and content, or an unknown format option', () => {
    expect(() => parseWorkflow('hello there', { source: 'notes.txt' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_FORMAT' }),
    );
    expect(() => parseWorkflow('{}', { format: 'cwl' as never })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_FORMAT' }),
    );
  });

  it('detects the format from content before the extension: a Pegasus 5 YAML named .dax loads', async () => {
    const temp = await createTempDir('proteus-graph-detect-');
    try {
      const yamlAsDax = join(temp.path, 'workflow.dax');
      await copyFile(fixture('diamond.yml'), yamlAsDax);
      expect((await loadWorkflowGraph(yamlAsDax)).attributes.format).toBe('pegasus-yaml');
      const daxAsJson = join(temp.path, 'workflow.json');
      await copyFile(fixture('diamond-3.0.dax'), daxAsJson);
      expect((await loadWorkflowGraph(daxAsJson)).attributes.format).toBe('pegasus-dax');
    } finally {
      await temp.dispose();
    }
  });

  it('names the format it expected and what it found when the extension or { format } disagrees with the content', () => {
    const yaml = readFileSync(fixture('diamond.yml'), 'utf8');
    try {
      parseWorkflow(yaml, { format: 'pegasus-dax', source: 'workflow.dax' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'PROTEUS_GRAPH_MALFORMED_XML' });
      expect((error as Error).message).toContain('Pegasus YAML');
    }
    expect(() => parseWorkflow('hello there', { source: 'notes.txt' })).toThrow(/found "hello there"/);
  });

  it('detects the format from content when the extension says nothing', () => {
    expect(
      parseWorkflow('JOB a a.sub\nJOB b b.sub\nPARENT a CHILD b\n', { source: 'workflow.txt' }).attributes.format,
    ).toBe('dagman');
    expect(parseWorkflow('{"a": ["b"], "b": []}', { source: 'dag' }).attributes.format).toBe('flowbench-adjacency');
  });
});
