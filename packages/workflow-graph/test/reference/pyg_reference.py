"""A line-by-line NumPy port of PyTorch Geometric's normalization, to check @proteus-wf/workflow-graph against.

Ports torch_geometric.nn.conv.gcn_conv.gcn_norm (add_remaining_self_loops, degree scattered on the target index
`col` for flow "source_to_target", inf masked to 0, norm = dis[row] * w * dis[col]) and the propagation
out[col] += norm * x[row]; torch_geometric.transforms.ToUndirected (both directions, coalesced); and SAGEConv's
mean aggregation (scatter-mean of x[row] onto col). Reads {"n", "edges", "kind", "undirected", "selfLoops"} as
JSON on stdin, where "modes" lists {"kind": "gcn" | "mean", "undirected", "selfLoops"}, and writes one dense
propagation matrix per mode (row = receiving node) as little-endian float64 bytes, one after the other.
"""
import json
import sys

import numpy as np


def to_undirected(row, col):
    pairs = np.unique(np.stack([np.concatenate([row, col]), np.concatenate([col, row])], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


def gcn_norm(row, col, n, add_self_loops):
    weight = np.ones(len(row))
    if add_self_loops:
        keep = row != col
        loop = np.arange(n)
        row = np.concatenate([row[keep], loop])
        col = np.concatenate([col[keep], loop])
        weight = np.concatenate([weight[keep], np.ones(n)])
    deg = np.zeros(n)
    np.add.at(deg, col, weight)
    with np.errstate(divide="ignore"):
        dis = deg ** -0.5
    dis[np.isinf(dis)] = 0
    return row, col, dis[row] * weight * dis[col]


def propagation(edges, n, kind, undirected, self_loops):
    row, col = edges[:, 0], edges[:, 1]
    if undirected:
        row, col = to_undirected(row, col)
    dense = np.zeros((n, n))
    if kind == "gcn":
        row, col, norm = gcn_norm(row, col, n, self_loops)
        np.add.at(dense, (col, row), norm)
    else:
        count = np.zeros(n)
        np.add.at(count, col, 1.0)
        np.add.at(dense, (col, row), 1.0 / count[col])
    return dense


def main():
    spec = json.load(sys.stdin)
    edges = np.array(spec["edges"], dtype=np.int64).reshape(-1, 2)
    for mode in spec["modes"]:
        dense = propagation(edges, spec["n"], mode["kind"], mode["undirected"], mode["selfLoops"])
        sys.stdout.buffer.write(dense.astype("<f8").tobytes())


main()
