"""Hop distances, levels and node_hop with networkx, to check @proteus-wf/workflow-graph against.

Reads a JSON list of {"n", "edges"} on stdin; writes a list of {"hops", "levels", "nodeHop", "isDag"}: hops = BFS distance from the
nearest root (multi-source), levels = longest path from any root, nodeHop = Flow-Bench's node_hop (distance from
node 0, 0 when unreachable, as its loader fills it).
"""
import json
import sys

import networkx as nx


def analyse(spec):
    graph = nx.DiGraph()
    graph.add_nodes_from(range(spec["n"]))
    graph.add_edges_from(tuple(edge) for edge in spec["edges"])
    roots = [node for node in graph.nodes if graph.in_degree(node) == 0]
    hops = nx.multi_source_dijkstra_path_length(graph, roots)
    levels = {}
    for node in nx.topological_sort(graph):
        levels[node] = max((levels[p] + 1 for p in graph.predecessors(node)), default=0)
    from_zero = nx.single_source_shortest_path_length(graph, 0)
    return {
        "hops": [hops[i] for i in range(spec["n"])],
        "levels": [levels[i] for i in range(spec["n"])],
        "nodeHop": [from_zero.get(i, 0) for i in range(spec["n"])],
        "isDag": nx.is_directed_acyclic_graph(graph),
    }


json.dump([analyse(spec) for spec in json.load(sys.stdin)], sys.stdout)
