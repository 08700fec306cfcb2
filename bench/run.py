"""Run every benchmark (``make bench``): each is a script of this folder run in its own process, so that each
configures Django for itself. Arguments are passed to every benchmark (``--requests 20``, ``--strict``...).

Exit status: the first non-zero status of a benchmark, else 0.
"""

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# In the order they run. Each prints its table and updates its own section of bench/results.md.
BENCHMARKS = ["directory.py", "referrals.py", "reports.py"]


def main(argv: list[str]) -> int:
    status = 0
    for script in BENCHMARKS:
        print(f"== bench/{script} ==", flush=True)
        started = time.perf_counter()
        # The same interpreter (the project's virtualenv), a fixed script of this folder.
        completed = subprocess.run([sys.executable, str(HERE / script), *argv], check=False)  # noqa: S603
        print(f"== bench/{script}: exit {completed.returncode} after {time.perf_counter() - started:.0f} s ==")
        status = status or completed.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
