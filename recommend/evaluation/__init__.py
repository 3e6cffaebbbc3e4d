"""Offline evaluation harness (pure Python: never imports Django).

from recommend.evaluation import run_evaluation, write_report, load_interactions_csv
result = run_evaluation(data, {"pop": Popularity, "ease": EASE}, protocol="temporal")
write_report(result, Path("docs/evaluation"))
"""

from .io import DataFileError, load_interactions_csv, online_retail_to_generic, write_interactions_csv
from .protocols import Split, make_split
from .report import write_report
from .runner import dataset_stats, run_evaluation

__all__ = [
    "DataFileError",
    "Split",
    "dataset_stats",
    "load_interactions_csv",
    "make_split",
    "online_retail_to_generic",
    "run_evaluation",
    "write_interactions_csv",
    "write_report",
]
