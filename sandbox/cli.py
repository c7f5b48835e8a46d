"""Shared command line for ``python -m sandbox`` and ``manage.py runsandbox``."""

from __future__ import annotations

import argparse
import sys
import time

from . import credentials


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = ephemeral; default 8765)")
    parser.add_argument("--members", type=int, default=300, help="number of seeded members (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed (default 7)")
    parser.add_argument("--latency-ms", type=float, default=0, help="latency added to every Wix call")
    parser.add_argument("--error-rate", type=float, default=0, help="chance 0..1 of a 503 on a Wix call")
    parser.add_argument("--rate-limit", type=int, default=0, help="calls per minute before 429 (0 = off)")
    parser.add_argument("--fractional", action="store_true", help="give every third balance a fractional grant")
    parser.add_argument(
        "--plans-without-credits",
        choices=("no_balance", "zero_balance", "no_pool"),
        default="no_balance",
        help="what an unlimited plan has: a pool without balance (default), a balance of 0, or no pool",
    )
    # Wix Bookings (sandbox/bookings): the schedule's day, the site's zone, how plan bookings spend credits
    parser.add_argument("--bookings-today", default=None, help="the schedule's today, YYYY-MM-DD (default: the current date)")
    parser.add_argument("--time-zone", default=None, help="the site's IANA time zone (default Europe/Berlin)")
    parser.add_argument("--credit-mode", default="redeem", choices=("redeem", "reserve"), help="plan bookings redeem or reserve")


def run(options: dict, out=None) -> None:
    from .seed import build_studio
    from .server import SandboxServer

    out = out or sys.stdout
    t0 = time.perf_counter()
    bookings = {
        "today": options.get("bookings_today"),
        "time_zone": options.get("time_zone"),
        "credit_mode": options.get("credit_mode") or "redeem",
    }
    studio = build_studio(
        members=options["members"],
        seed=options["seed"],
        bookings=bookings,
        fractional=bool(options.get("fractional")),
        plans_without_credits=options.get("plans_without_credits") or "no_balance",
    )
    server = SandboxServer(studio, host="127.0.0.1", port=options["port"])
    server.faults.update(
        latency=(options.get("latency_ms") or 0) / 1000.0,
        error_rate=options.get("error_rate") or 0,
        rate_limit_per_minute=options.get("rate_limit") or None,
    )
    out.write(
        f"Wix sandbox: {len(studio.members)} members (seed {options['seed']}, built in "
        f"{time.perf_counter() - t0:.1f}s)\n"
        f"  URL               {server.url}\n"
        f"  API key           Authorization: {credentials.API_KEY}\n"
        f"  Site id           wix-site-id: {credentials.SITE_ID}\n"
        f"  Account id        wix-account-id: {credentials.ACCOUNT_ID}\n"
        f"  Read-only key     {credentials.READONLY_API_KEY}\n"
        f"  OAuth (POST /oauth2/token, client_credentials)\n"
        f"    client_id       {credentials.APP_ID}\n"
        f"    client_secret   {credentials.APP_SECRET}\n"
        f"    instance_id     {credentials.INSTANCE_ID}\n"
        f"  Control           {server.url}/_sandbox/health | /_sandbox/requests | /_sandbox/faults | /_sandbox/bookings\n"
        f"Ctrl-C to stop.\n"
    )
    out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the Wix API sandbox.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    run(vars(args))
