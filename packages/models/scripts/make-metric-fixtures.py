#!/usr/bin/python3
"""Writes test/fixtures/metrics.json: metric inputs and the values sklearn computes for them.

Run with Debian's interpreter (python3-sklearn): /usr/bin/python3 packages/models/scripts/make-metric-fixtures.py
The TypeScript tests in src/metrics/*.test.ts compare against these numbers to 1e-12.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "metrics.json")


def precision_at_k(y, s, k=None):
    """Precision among the k highest scores; ties straddling the cut-off count pro rata (Proteus's definition)."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    k = int(y.sum()) if k is None else k
    threshold = np.sort(s)[::-1][k - 1]
    above = s > threshold
    tied = s == threshold
    hits = y[above].sum() + (k - above.sum()) * y[tied].sum() / tied.sum()
    if tied.sum() == 1:
        # Without ties at the cut-off this is exactly FlowBench's np.argsort(score)[::-1][:k].
        top = np.argsort(s)[::-1][:k]
        assert abs(y[top].sum() - hits) < 1e-12
    return float(hits / k)


def ranking_case(name, y, s, k=None):
    y = [int(v) for v in y]
    s = [float(v) for v in s]
    case = {"name": name, "yTrue": y, "scores": s}
    both = 0 < sum(y) < len(y)
    case["rocAuc"] = float(roc_auc_score(y, s)) if both else None
    case["averagePrecision"] = float(average_precision_score(y, s)) if sum(y) > 0 else None
    case["precisionAtK"] = precision_at_k(y, s) if sum(y) > 0 else None
    if k is not None:
        case["k"] = k
        case["precisionAtGivenK"] = precision_at_k(y, s, k)
    return case


def classification_case(name, y, p):
    y = [int(v) for v in y]
    p = [int(v) for v in p]
    labels = sorted(set(y) | set(p))
    case = {"name": name, "yTrue": y, "yPred": p, "accuracy": float(accuracy_score(y, p))}
    case["confusionMatrix"] = {"labels": labels, "matrix": confusion_matrix(y, p, labels=labels).tolist()}
    if len(labels) <= 2 and 1 in labels:
        pr, rc, f1, _ = precision_recall_fscore_support(y, p, average="binary", pos_label=1, zero_division=0)
        case["binary"] = {"precision": float(pr), "recall": float(rc), "f1": float(f1)}
    for average in ("macro", "weighted"):
        pr, rc, f1, _ = precision_recall_fscore_support(y, p, average=average, zero_division=0)
        case[average] = {"precision": float(pr), "recall": float(rc), "f1": float(f1)}
    return case


def main():
    rng = np.random.RandomState(20240607)
    ranking = []
    ranking.append(ranking_case("hand", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]))
    y = rng.binomial(1, 0.3, 200)
    ranking.append(ranking_case("random", y, rng.rand(200) + 0.35 * y, k=25))
    y = rng.binomial(1, 0.25, 300)
    ranking.append(ranking_case("ties-one-decimal", y, np.round(rng.rand(300) + 0.3 * y, 1), k=40))
    y = rng.binomial(1, 0.4, 150)
    ranking.append(ranking_case("integer-scores", y, rng.randint(0, 6, 150) + y * rng.randint(0, 3, 150), k=10))
    y = rng.binomial(1, 0.2, 50)
    y[0] = 1
    ranking.append(ranking_case("all-tied", y, np.full(50, 0.5), k=7))
    ranking.append(ranking_case("perfect", [0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.8, 0.9]))
    ranking.append(ranking_case("reversed", [0, 0, 0, 1, 1], [0.9, 0.8, 0.7, 0.2, 0.1]))
    y = rng.binomial(1, 0.1, 1000)
    scores32 = (rng.rand(1000) * 0.5 + 0.3 * y).astype(np.float32)
    ranking.append(ranking_case("float32-scores-rare-anomalies", y, scores32.astype(np.float64), k=100))
    ranking.append(ranking_case("all-anomalous", [1, 1, 1], [0.2, 0.5, 0.5]))
    ranking.append(ranking_case("negative-scores", [1, 0, 1, 0, 0, 1], [-3.5, -1e-3, 2.25, -7.0, 0.0, -1e-3]))

    classification = []
    classification.append(classification_case("hand-binary", [0, 1, 1, 0], [0, 1, 0, 1]))
    y = rng.binomial(1, 0.3, 300)
    s = rng.rand(300) + 0.4 * y
    classification.append(classification_case("random-binary", y, (s > 0.6).astype(int)))
    classification.append(classification_case("never-predicts-anomaly", [0, 1, 1, 0, 1], [0, 0, 0, 0, 0]))
    classification.append(classification_case("no-anomaly-at-all", [0, 0, 0, 0], [0, 1, 0, 0]))
    y = rng.randint(0, 4, 400)
    p = np.where(rng.rand(400) < 0.6, y, rng.randint(0, 4, 400))
    classification.append(classification_case("random-4-classes", y, p))
    y = rng.randint(0, 3, 60)
    p = np.where(rng.rand(60) < 0.5, y, 3)  # predicts a class that never occurs
    p[y == 2] = 0  # and never predicts class 2
    classification.append(classification_case("multiclass-zero-division", y, p))

    doc = {
        "generatedBy": "packages/models/scripts/make-metric-fixtures.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "ranking": ranking,
        "classification": classification,
    }
    with open(OUT, "w") as handle:
        json.dump(doc, handle, indent=1)
        handle.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(ranking)} ranking and {len(classification)} classification cases")


if __name__ == "__main__":
    main()
