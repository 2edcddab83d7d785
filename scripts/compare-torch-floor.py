"""PyTorch side of scripts/compare-torch.mjs (issue 17): on one thread, times torch.mm on exactly the GEMM shapes of
packages/models/bench/gemm-floor.bench.mjs (one GCN training step: B=32, N=137, F=24, hidden 64, 2 classes; one
node-level scoring batch of 256 runs), with the transposed operands as views the way autograd passes them, and the
phases of the reference training step (../shared/reference/torch-ref, graph level, Adam): zero_grad, forward + loss,
backward, optimizer step. Prints one JSON line. Usage: OPENBLAS_NUM_THREADS=1 python3 compare-torch-floor.py <torch-ref folder>."""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as Fn

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else ".")
import data as D  # noqa: E402
from gcn import Graph, WorksGCN  # noqa: E402

torch.set_num_threads(1)
B, F, H, C, SCORE_RUNS = 32, 24, 64, 2, 256
keys, edge_index = D.load_adjacency(D.FLOWBENCH["1000genome"][1], truncate=False)
N = len(keys)


def operands(m, k, n, trans_a=False, trans_b=False):
    a = torch.rand(k, m).t() if trans_a else torch.rand(m, k)
    b = torch.rand(n, k).t() if trans_b else torch.rand(k, n)
    return a, b


def step_gemms():
    rows = N * B
    out = []
    for r, k, m, input_grad in ((rows, F, H, False), (rows, H, H, True), (B, H, H, True), (B, H, C, True)):
        out.append(operands(r, k, m))  # y = a w
        out.append(operands(k, r, m, trans_a=True))  # dw = a^T dy
        if input_grad:
            out.append(operands(r, m, k, trans_b=True))  # da = dy w^T
    return out


def score_gemms():
    rows = N * SCORE_RUNS
    return [operands(rows, k, m) for k, m in ((F, H), (H, H), (H, H), (H, C))]


def median_ms(fn, calls, repeats):
    for _ in range(max(2, calls // 4)):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return round(statistics.median(times) * 1e3, 3)


def gemm_floor(pairs, calls, repeats):
    def run():
        for a, b in pairs:
            torch.mm(a, b)

    return median_ms(run, calls, repeats)


def step_phases(mode):
    torch.manual_seed(0)
    graph = Graph(edge_index, N, mode)
    model = WorksGCN(F, C, hidden=H, graph_level=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(B, N, F)
    y = torch.randint(0, C, (B,))
    phases = {"zero_grad": [], "forward": [], "backward": [], "optimizer": [], "total": []}
    for i in range(130):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        t1 = time.perf_counter()
        loss = Fn.cross_entropy(model(x, graph), y)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        optimizer.step()
        t4 = time.perf_counter()
        if i >= 30:
            for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                phases[name].append(seconds)
    return {name: round(statistics.median(v) * 1e3, 3) for name, v in phases.items()}


record = {
    "kind": "torch-floor",
    "torch": torch.__version__,
    "N": N,
    "step_floor_ms": gemm_floor(step_gemms(), 20, 7),
    "score_floor_ms": gemm_floor(score_gemms(), 2, 7),
    "step_phases_ms": {mode: step_phases(mode) for mode in ("scatter", "dense")},
}
json.dump(record, sys.stdout)
sys.stdout.write("\n")
