"""`make bench` still works: the whole benchmark on a tiny studio with a tiny latency, in one process."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_on_a_tiny_studio_and_its_call_count_checks_pass(tmp_path):
    out = tmp_path / "latest.md"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--members",
            "100",
            "--big-members",
            "150",
            "--latency-ms",
            "20",
            "--repeats",
            "2",
            "--naive-repeats",
            "1",
            "--reading-seconds",
            "0.1",
            "--warm-requests",
            "3",
            "--load-requests",
            "12",
            "--load-seconds",
            "10",
            "--concurrency",
            "2",
            "--desk-staff",
            "4",
            "--desk-warmup",
            "1",
            "--desk-seconds",
            "4",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    table = out.read_text()
    assert table == run.stdout  # the same table printed and written
    for goal in [*"1234567", "13"]:
        assert re.search(rf"^\| {goal} \| ", table, re.MULTILINE), f"goal {goal} missing"
    for size in (25, 50, 100):
        assert f"upstream calls, {size}-row page" in table
    passed, total = map(int, re.search(r"Structural checks \((\d+)/(\d+) passed", table).groups())
    assert passed == total >= 30
    assert "FAIL" not in table
    # The reference really is naive: a 25-row page costs it far more calls than ours.
    ours, naive = re.search(r"upstream calls, 25-row page \| (\d+) .*?\| (\d+) ", table).groups()
    assert int(naive) > 5 * int(ours)
