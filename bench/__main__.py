"""`make bench` (or `.venv/bin/python -m bench`): run every measurement, print the table, write it to
bench/results/latest.md, and exit non-zero if a structural call-count property is missed."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .environment import ROOT, configure_django, owner_client, point_at, start_sandbox, studio_size

DEFAULT_OUT = ROOT / "bench" / "results" / "latest.md"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="L: latency added to every Wix call")
    parser.add_argument("--members", type=int, default=5000, help="members in the main studio")
    parser.add_argument("--big-members", type=int, default=50000, help="members in the whole-studio run (0 skips it)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats per timed figure (medians)")
    parser.add_argument("--naive-repeats", type=int, default=3)
    parser.add_argument("--reading-seconds", type=float, default=1.0, help="time spent on a page before 'next'")
    parser.add_argument("--warm-requests", type=int, default=40)
    parser.add_argument("--load-requests", type=int, default=600, help="bounded load: at most this many")
    parser.add_argument("--load-seconds", type=float, default=30.0, help="bounded load: at most this long")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--budget",
        type=int,
        default=int(os.environ.get("WIX_CALLS_PER_MINUTE", 200)),
        help="Wix calls per minute the whole-studio scan must stay under",
    )
    parser.add_argument(
        "--full-scan", action="store_true", help="also walk the big studio (slow: over 1,100 calls at half the call budget)"
    )
    parser.add_argument("--attention-url", default="", help="page serving the stored whole-studio answer (default: Running low)")
    parser.add_argument("--feed-window", type=float, default=60.0, help="seconds of changes per rate in the feed lines")
    parser.add_argument("--feed-only", action="store_true", help="only the change feed's lines (issue 18)")
    parser.add_argument("--no-feed", action="store_true", help="skip the change feed's lines")
    parser.add_argument("--desk-seconds", type=float, default=60.0, help="the desk leg: measured seconds (0 skips it)")
    parser.add_argument("--desk-staff", type=int, default=20, help="the desk leg: staff at the desk")
    parser.add_argument("--desk-warmup", type=float, default=20.0, help="the desk leg: unmeasured seconds first")
    parser.add_argument("--only-desk", action="store_true", help="run only the desk leg (20 staff at the production budget)")
    parser.add_argument(
        "--desk-cold",
        action="store_true",
        help="the desk leg starts from an empty database (no change-feed state, no search index), as a new deployment",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    # Every page size must be full in both studios, or their call counts could not be compared.
    if args.members < 100 or (args.big_members and args.big_members < 100):
        parser.error("studios need at least 100 members (the largest page)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    latency = args.latency_ms / 1000
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="creditdesk-bench-"))
    try:
        env = configure_django(workdir)
        from . import desk, goals
        from .report import Report

        def step(text: str) -> None:
            print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)

        step(f"building the {args.members:,}-member studio")
        server, built = start_sandbox(args.members, latency)
        members, pools, balances = studio_size(server)
        report = Report(f"Credit Desk benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        report.setup += [
            f"Wix sandbox in-process on loopback, L = {args.latency_ms:g} ms added to every call; studio of "
            f"{members:,} members with {pools:,} pools ({balances:,} with a credit balance), seed 7.",
            f"Medians over {args.repeats} repeats (naive: {args.naive_repeats}); ratios are to L or to the naive "
            "reference measured in this same run. Absolute times are noisy on shared machines; ratios less so.",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
            "the sandbox and the load generator share these cores with the server.",
            f"Whole-studio scans keep to a budget of {args.budget} Wix calls a minute, which the sandbox "
            "enforces as Wix would (429 past it).",
            *goals.features(),
        ]
        from . import feed as feed_lines

        def desk_leg() -> None:
            step(f"desk: {args.desk_staff} staff at {args.budget} calls/min")
            desk.desk(
                report,
                env,
                workdir,
                server,
                staff=args.desk_staff,
                budget=args.budget,
                warmup=args.desk_warmup,
                seconds=args.desk_seconds,
                cold=args.desk_cold,
            )

        try:
            point_at(server)
            env["WIX_API_BASE_URL"] = server.url
            dash = goals.Dashboard(owner_client(), server, latency)
            if args.feed_only:
                feed_lines.measure(report, server, budget=args.budget, window=args.feed_window, progress=step)
                raise _FeedOnly

            if args.only_desk:
                desk_leg()
                args.big_members = 0
                raise _DeskOnly
            step("goals 1-2: calls and time per page, ours and naive")
            reference = goals.member_pages(report, dash, server, reps=args.repeats, naive_reps=args.naive_repeats)
            step("goal 3: next page")
            goals.next_page(report, dash, reps=min(args.repeats, 5), reading=args.reading_seconds)
            step("goal 4: warm page")
            goals.warm_page(report, dash, requests=args.warm_requests)
            step("goals 5 and 7: gunicorn, 2 workers, bounded load")
            goals.throughput(
                report, dash, env, workdir, requests=args.load_requests, concurrency=args.concurrency, max_seconds=args.load_seconds
            )
            step("goal 6: whole-studio scan within the call budget")
            goals.whole_studio(report, dash, budget=args.budget, attention_url=args.attention_url, progress=step)
            if not args.no_feed:
                step("issue 18: the change feed")
                feed_lines.measure(report, server, budget=args.budget, window=args.feed_window, progress=step)
            if args.desk_seconds:
                desk_leg()
        except (_FeedOnly, _DeskOnly):
            pass
        finally:
            server.stop()
        if args.big_members:
            step(f"building the {args.big_members:,}-member studio")
            big, built = start_sandbox(args.big_members, latency)
            members, pools, balances = studio_size(big)
            report.setup.append(
                f"Big studio: {members:,} members, {pools:,} pools ({balances:,} with a balance), built in {built:.0f} s."
            )
            try:
                point_at(big)
                if not args.feed_only:
                    dash = goals.Dashboard(dash.client, big, latency)
                    step("goal 1 on the big studio")
                    goals.big_pages(report, dash, reference, reps=2)
                if args.full_scan:
                    step("goal 6: whole-studio scan of the big studio")
                    goals.whole_studio(report, dash, budget=args.budget, attention_url="", progress=step)
                elif not args.feed_only:
                    goals.whole_studio_projection(report, big, budget=args.budget, latency=latency)
                if not args.no_feed:
                    step("issue 18: the change feed on the big studio")
                    feed_lines.measure(report, big, budget=args.budget, window=args.feed_window, progress=step)
            finally:
                big.stop()
        report.notes += NOTES + ([] if args.no_feed else feed_lines.NOTES)
        report.setup.append(f"Whole run took {time.monotonic() - started:.0f} s.")
        text = report.markdown()
        print(text, end="")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        step(f"wrote {args.out}")
        if not report.ok:
            failed = [c.name for c in report.checks if not c.ok]
            print(f"STRUCTURAL CHECKS FAILED ({len(failed)}):\n  " + "\n  ".join(failed), file=sys.stderr)
            return 1
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class _FeedOnly(Exception):
    """`--feed-only`: the main studio's feed lines are done; skip its other goals."""


class _DeskOnly(Exception):
    """--only-desk: the desk leg ran; skip the rest."""


NOTES = [
    "“Cold page” empties every cache, the plan catalog included; its Query Pool Definitions call (cached for "
    "10 minutes per studio) runs side by side with Query Members, so it adds a call but no round trip. “New "
    "page” is a page nobody has opened yet with the plan catalog known: the everyday case. Both are shown "
    "against the 2.3 L goal.",
    "Calls per page: one Query Members, then side by side one Query Balances per chunk of at most "
    "MAX_MEMBERS_PER_BALANCE_QUERY members (balances/credits.py) and one Query Pools for plans without credits. "
    "Wix returns at most 100 items per call, so a 50- or 100-row page needs more than one balances call; "
    "the count is fixed for a given size and never depends on latency, on which page, or on the studio's size "
    "(asserted). The literal “≤ 3 for every size” is met only where the table says so.",
    "The naive reference lists the page's members, finds their pools in one Query Pools call (charitably), "
    "then calls Get Balance once per pool, one after the other, as site code does (bench/naive.py).",
    "Whole-studio question: the dashboard's own “needs attention” scan (balances/attention.py) as the home "
    "page starts it. Balances cannot be filtered on amounts in Wix's API, so it needs every balance: "
    "⌈balances ÷ 100⌉ Query Balances calls, plus the plan catalog, the pools of unlimited plans and the flagged "
    "members' names, paced to half the call budget (the rest is left for people at the desk). At 50,000 "
    "members that is over 1,100 calls, so ≈ 11 minutes at that pace: by default the walk is measured on the "
    "main studio and computed for the big one; `--full-scan` walks it too. The sandbox sorts a query's "
    "results once per walk (first page about 1 s at 50,000 members, later pages about 8 ms).",
]


if __name__ == "__main__":
    sys.exit(main())
