"""Draw the README's heatmap from a run of the ecosystem example: the similarity matrix it recorded, as a PNG.

    pytest --homog examples/test_wnut_ecosystem.py --homog-report=ecosystem.json
    python docs/ecosystem_heatmap.py ecosystem.json docs/ecosystem-heatmap.png

The matrix is the one ``assert_not_homogeneous`` recorded for the largest group of subjects (error consistency on
span units), drawn by ``SimilarityMatrix.plot`` (needs matplotlib: ``pip install 'pytest-homog[plot]'``).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from pytest_homog import SimilarityMatrix


def recorded_matrix(report: dict) -> SimilarityMatrix:
    """The similarity matrix of the largest group that ``assert_not_homogeneous`` was run on in ``report``."""
    matrices = [
        check["details"]["matrix"]
        for check in report["checks"]
        if check["check"] == "assert_not_homogeneous" and "matrix" in check["details"]
    ]
    if not matrices:
        raise SystemExit("the report holds no assert_not_homogeneous check; run the ecosystem example with --homog")
    largest = max(matrices, key=lambda matrix: len(matrix["names"]))
    values = np.array([[np.nan if value is None else value for value in row] for row in largest["values"]])
    return SimilarityMatrix(tuple(largest["names"]), values, largest["by"], largest["n"])


def main(report_path: str, png_path: str) -> None:
    with open(report_path, encoding="utf-8") as file:
        matrix = recorded_matrix(json.load(file))
    matrix.plot(png_path, title=f"WNUT 2017 test: {matrix.by} ({matrix.n} span units)")
    print(f"wrote {png_path}:\n{matrix.to_markdown()}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python docs/ecosystem_heatmap.py REPORT.json OUT.png")
    main(sys.argv[1], sys.argv[2])
