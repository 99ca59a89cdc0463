"""Measure the common runs against a deployed local stack: wall time, tasks and AWS API calls.

A benchmark, not a test: it asserts nothing and prints one table. Run it after `make demo` (the emulator on
$DJANGO_ECS_MOTO_URL, default http://127.0.0.1:5055): `make benchmark`, or
`.venv/bin/python scripts/benchmark.py [--repeat N] [--json FILE] ['site.yml' '--tags alb' ...]`.

Each case runs `ansible-playbook` from the repository root N times (default 3) and reports the median wall time,
the tasks that ran (ok + changed + failed in the recap, skipped apart) and the AWS calls the emulator logged
(.run/moto-PORT.requests.log, one JSON line per call), by service and action.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CASES = ["site.yml", "site.yml --tags alb", "site.yml --tags migrate", "migrate.yml", "status.yml"]


def _request_log() -> Path:
    url = os.environ.get("DJANGO_ECS_MOTO_URL", "http://127.0.0.1:5055")
    return ROOT / ".run" / f"moto-{url.rstrip('/').rsplit(':', 1)[-1]}.requests.log"


def _calls(log: Path, mark: int) -> list[str]:
    lines = log.read_text().splitlines()[mark:]
    return [f"{c['service']}:{c['action']}" for c in map(json.loads, filter(str.strip, lines))]


def run_case(case: str, log: Path) -> dict:
    mark = len(log.read_text().splitlines())
    started = time.monotonic()
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), *case.split()],
        cwd=ROOT, env={**os.environ, "ANSIBLE_NOCOLOR": "1", "PATH": f"{BIN}:{os.environ['PATH']}"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    recap = dict(re.findall(r"(\w+)=(\d+)", proc.stdout.rsplit("PLAY RECAP", 1)[-1]))
    if proc.returncode != 0:
        sys.exit(f"{case}: rc={proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    calls = _calls(log, mark)
    return {
        "case": case,
        "seconds": round(seconds, 1),
        "tasks": sum(int(recap.get(k, 0)) for k in ("ok", "changed", "failed")),
        "skipped": int(recap.get("skipped", 0)),
        "changed": int(recap.get("changed", 0)),
        "calls": len(calls),
        "by_action": dict(collections.Counter(calls).most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("cases", nargs="*", default=CASES)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    log = _request_log()
    if not log.exists():
        sys.exit(f"{log} is missing: start the stack first (make demo)")
    results = []
    for case in args.cases:
        runs = [run_case(case, log) for _repeat in range(args.repeat)]
        best = runs[-1]  # calls and tasks are the same every time; the median wall time
        results.append({**best, "seconds": statistics.median(r["seconds"] for r in runs)})
    print(f"{'case':32} {'wall s':>7} {'tasks':>6} {'skipped':>8} {'changed':>8} {'AWS calls':>10}")
    for r in results:
        print(f"{r['case']:32} {r['seconds']:7.1f} {r['tasks']:6} {r['skipped']:8} {r['changed']:8} {r['calls']:10}")
    for r in results:
        print(f"\n{r['case']}: " + ", ".join(f"{k} x{v}" for k, v in r["by_action"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
