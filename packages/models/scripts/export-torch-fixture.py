#!/usr/bin/python3
"""Exports two tiny PyTorch GCNs to ONNX, with reference inputs and outputs, for importOnnxModel's parity tests.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 packages/models/scripts/export-torch-fixture.py
Writes into packages/models/test/fixtures/:
  torch-gcn-dense.onnx       inputs x [B,N,F] float32 + adj [N,N] float32 (normalized, self loops included);
                             output logits [B,C] (graph level: GCN-ReLU-GCN-ReLU-mean pool-Linear-ReLU-Linear)
  torch-gcn-edge-index.onnx  PyG style: x [N,F] float32 + edge_index [2,E] int64 (source row, target row);
                             output logits [N,C] (node level), GCNConv semantics written with plain torch
                             (scatter_add degrees, incidence-matrix aggregation) since Debian has no torch_geometric
  torch-fixture.json         the reference inputs and outputs of both models
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
N, F, H, C, B = 6, 4, 8, 3, 2
# A small DAG, parent -> child.
EDGES = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5), (1, 5)]


def gcn_dense_adjacency(n, edges):
    """D^-1/2 (A + I) D^-1/2 with PyG's direction: row i gathers from its in-neighbours j (A[i, j] = 1 for j -> i)."""
    a = torch.eye(n)
    for s, t in edges:
        a[t, s] = 1.0
    deg = a.sum(dim=1)
    inv = deg.pow(-0.5)
    return inv[:, None] * a * inv[None, :]


class DenseGcn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w1 = torch.nn.Linear(F, H)
        self.w2 = torch.nn.Linear(H, H)
        self.l1 = torch.nn.Linear(H, H)
        self.l2 = torch.nn.Linear(H, C)

    def forward(self, x, adj):
        h = torch.relu(adj @ self.w1(x))
        h = torch.relu(adj @ self.w2(h))
        g = h.mean(dim=1)
        return self.l2(torch.relu(self.l1(g)))


class EdgeIndexGcnConv(torch.nn.Module):
    """PyG GCNConv: h'_i = sum_{j in pred(i) + {i}} (W h_j) / sqrt(d_j d_i) + b, with d = in-degree + 1."""

    def __init__(self, fin, fout):
        super().__init__()
        self.lin = torch.nn.Linear(fin, fout, bias=False)
        self.bias = torch.nn.Parameter(torch.randn(fout) * 0.1)

    def forward(self, x, edge_index):
        n = x.shape[0]
        loops = torch.arange(n, dtype=torch.int64).unsqueeze(0).repeat(2, 1)
        ei = torch.cat([edge_index, loops], dim=1)
        src, dst = ei[0], ei[1]
        deg = torch.zeros(n, dtype=x.dtype).scatter_add(0, dst, torch.ones_like(dst, dtype=x.dtype))
        inv = deg.pow(-0.5)
        norm = inv[src] * inv[dst]
        h = self.lin(x)
        msg = h[src] * norm.unsqueeze(1)
        # Sum messages into their target rows. torch 1.13 exports index_add with duplicate indices wrongly
        # (ScatterND without reduction) and refuses scatter_add on a broadcast index, so the sum is written as an
        # incidence-matrix product: exact, and exported as Equal + Cast + MatMul.
        incidence = (torch.arange(n, dtype=torch.int64).unsqueeze(1) == dst.unsqueeze(0)).to(x.dtype)
        out = incidence @ msg
        return out + self.bias


class EdgeIndexGcn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = EdgeIndexGcnConv(F, H)
        self.c2 = EdgeIndexGcnConv(H, H)
        self.l1 = torch.nn.Linear(H, H)
        self.l2 = torch.nn.Linear(H, C)

    def forward(self, x, edge_index):
        h = torch.relu(self.c1(x, edge_index))
        h = torch.relu(self.c2(h, edge_index))
        return self.l2(torch.relu(self.l1(h)))


def tolist(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(7)
    dense = DenseGcn().eval()
    sparse = EdgeIndexGcn().eval()
    x_dense = torch.randn(B, N, F)
    adj = gcn_dense_adjacency(N, EDGES)
    x_sparse = torch.randn(N, F)
    edge_index = torch.tensor(EDGES, dtype=torch.int64).t().contiguous()
    with torch.no_grad():
        y_dense = dense(x_dense, adj)
        y_sparse = sparse(x_sparse, edge_index)
        # The same dense model run on the PyG-style input agrees with the dense formulation (a self-check).
        y_check = dense.l2(torch.relu(dense.l1(torch.relu(adj @ dense.w2(torch.relu(adj @ dense.w1(x_dense))))).mean(dim=1)))
        assert torch.allclose(y_dense, y_check)

    torch.onnx.export(
        dense, (x_dense, adj), os.path.join(OUT, "torch-gcn-dense.onnx"),
        input_names=["x", "adj"], output_names=["logits"],
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
    )
    torch.onnx.export(
        sparse, (x_sparse, edge_index), os.path.join(OUT, "torch-gcn-edge-index.onnx"),
        input_names=["x", "edge_index"], output_names=["logits"],
        dynamic_axes={"x": {0: "nodes"}, "edge_index": {1: "edges"}, "logits": {0: "nodes"}}, opset_version=17,
    )
    doc = {
        "generatedBy": "packages/models/scripts/export-torch-fixture.py",
        "torch": torch.__version__,
        "nodes": N, "features": F, "classes": C, "batch": B, "edges": EDGES,
        "dense": {"x": tolist(x_dense), "adj": tolist(adj), "logits": tolist(y_dense)},
        "edgeIndex": {"x": tolist(x_sparse), "logits": tolist(y_sparse)},
    }
    with open(os.path.join(OUT, "torch-fixture.json"), "w") as handle:
        json.dump(doc, handle, indent=1)
        handle.write("\n")
    print("wrote torch-gcn-dense.onnx, torch-gcn-edge-index.onnx, torch-fixture.json")


if __name__ == "__main__":
    main()
