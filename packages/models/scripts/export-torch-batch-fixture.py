#!/usr/bin/python3
"""Exports a tiny graph-level PyTorch Geometric-style GCN that takes (x, edge_index, batch) to ONNX, with reference
inputs and outputs, for importOnnxModel's parity test of PyG's graph-level export.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 packages/models/scripts/export-torch-batch-fixture.py
Writes into packages/models/test/fixtures/:
  torch-gcn-batch.onnx        inputs x [N_total,F] float32, edge_index [2,E_total] int64, batch [N_total] int64 (the
                              graph of each node, PyG's Batch.batch); output logits [G,C]: GCNConv-ReLU-GCNConv-ReLU,
                              global_mean_pool over `batch`, Linear-ReLU-Linear. Written with plain torch (scatter_add
                              degrees, incidence-matrix sums) since Debian has no torch_geometric.
  torch-batch-fixture.json    the reference input (two different graphs of the same DAG) and logits
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures")
N, F, H, C, G = 6, 4, 8, 3, 2
# A small DAG, parent -> child (the same as export-torch-fixture.py).
EDGES = [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5), (1, 5)]


def sum_into(index, values, count):
    """out[k] = sum of values[i] with index[i] == k, as an incidence-matrix product (exact; torch 1.13 exports
    index_add with duplicate indices as ScatterND without reduction, which is wrong)."""
    incidence = (torch.arange(count, dtype=torch.int64).unsqueeze(1) == index.unsqueeze(0)).to(values.dtype)
    return incidence @ values


class GcnConv(torch.nn.Module):
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
        msg = self.lin(x)[src] * (inv[src] * inv[dst]).unsqueeze(1)
        return sum_into(dst, msg, n) + self.bias


class GraphLevelGcn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = GcnConv(F, H)
        self.c2 = GcnConv(H, H)
        self.l1 = torch.nn.Linear(H, H)
        self.l2 = torch.nn.Linear(H, C)

    def forward(self, x, edge_index, batch):
        h = torch.relu(self.c1(x, edge_index))
        h = torch.relu(self.c2(h, edge_index))
        # PyG global_mean_pool(h, batch): the mean of each graph's node rows; the graph count follows `batch`.
        graphs = batch.max() + 1
        incidence = (torch.arange(graphs, dtype=torch.int64).unsqueeze(1) == batch.unsqueeze(0)).to(h.dtype)
        pooled = (incidence @ h) / incidence.sum(dim=1, keepdim=True)
        return self.l2(torch.relu(self.l1(pooled)))


def tolist(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(11)
    model = GraphLevelGcn().eval()
    x = torch.randn(G * N, F)
    edges = torch.tensor(EDGES, dtype=torch.int64).t()
    # PyG's Batch: the graphs' edge lists offset by each graph's first node, and each node's graph index.
    edge_index = torch.cat([edges + g * N for g in range(G)], dim=1).contiguous()
    batch = torch.arange(G, dtype=torch.int64).repeat_interleave(N)
    with torch.no_grad():
        logits = model(x, edge_index, batch)
        # Self-check: each graph alone gives its row of the batched output.
        for g in range(G):
            alone = model(x[g * N:(g + 1) * N], edges.contiguous(), torch.zeros(N, dtype=torch.int64))
            assert torch.allclose(alone[0], logits[g], atol=1e-6)
    torch.onnx.export(
        model, (x, edge_index, batch), os.path.join(OUT, "torch-gcn-batch.onnx"),
        input_names=["x", "edge_index", "batch"], output_names=["logits"],
        dynamic_axes={"x": {0: "nodes"}, "edge_index": {1: "edges"}, "batch": {0: "nodes"}, "logits": {0: "graphs"}},
        opset_version=17,
    )
    doc = {
        "generatedBy": "packages/models/scripts/export-torch-batch-fixture.py",
        "torch": torch.__version__,
        "nodes": N, "features": F, "classes": C, "graphs": G, "edges": EDGES,
        "x": tolist(x), "logits": tolist(logits),
    }
    with open(os.path.join(OUT, "torch-batch-fixture.json"), "w") as handle:
        json.dump(doc, handle, indent=1)
        handle.write("\n")
    print("wrote torch-gcn-batch.onnx, torch-batch-fixture.json")


if __name__ == "__main__":
    main()
