"""Report on a sweep, while it runs or after: a summary here, and PNG plots, the meta-parameter
importance, a bias/variance diagnosis, a follow-up sweep file and one HTML page in a folder.

    python -m launchers.report RESULTS_DIR [--compare OTHER_DIR ...] [--out DIR] [--top K]

RESULTS_DIR is a sweep's folder (<storage>/<name>); the files go to RESULTS_DIR/report unless
--out says otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sweeps.errors import SweepError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m launchers.report", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("results", help="a sweep's results folder, e.g. results/digits_asha")
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="OTHER_DIR",
        help="other sweeps' folders to compare with",
    )
    parser.add_argument(
        "--out",
        help="folder for the plots, the page and the follow-up sweep (default: RESULTS_DIR/report)",
    )
    parser.add_argument(
        "--top", type=int, default=5, help="trials in the summary's table (default 5)"
    )
    args = parser.parse_args(argv)
    # Imported here: sweeps.analysis.report loads pyarrow, which only this path needs.
    from sweeps.analysis.report import write_report
    from sweeps.analysis.results import load_sweep_results

    try:
        if args.top < 1:
            raise SweepError(f"--top {args.top}: give 1 or more")
        results = load_sweep_results(args.results)
        compared = [load_sweep_results(folder) for folder in args.compare]
        out = Path(args.out) if args.out else Path(args.results) / "report"
        report = write_report(results, out, args.top, compared)
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary)
    importance = report.importance
    if importance.scores:
        ranked = ", ".join(f"{key} {share:.0%}" for key, share in importance.scores.items())
        print(f"importance {ranked}  ({importance.method}, {importance.trials} trials)")
    else:
        print(f"importance not computed: {importance.note}")
    for diagnosis in report.diagnoses:
        print(f"diagnosis  {diagnosis.text()}")
    print(f"follow-up  {report.followup}")
    print(f"plots      {', '.join(str(path) for path in report.images.values())}")
    print(f"page       {report.page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
