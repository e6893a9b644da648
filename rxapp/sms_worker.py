"""The SMS delivery worker: ``python -m rxapp.sms_worker [--once] [--interval S]``.

Sends the due outbox messages through the gateway chosen by
``GRIDDESK_SMS_PROVIDER`` (``deliver_due``: backoff, one commit per message,
SKIP LOCKED on PostgreSQL so several workers may run).  ``--once`` runs one
pass and prints its counts as JSON."""

import argparse
import json
import logging
import signal
import sys
import time

from sqlmodel import Session

from rxapp.db import get_engine
from rxapp.domain.sms import deliver_due, gateway_from_env

log = logging.getLogger("rxapp.sms_worker")


def run_once(gateway, batch: int = 100) -> dict[str, int]:
    with Session(get_engine(), expire_on_commit=False) as session:
        return deliver_due(session, gateway, batch=batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.sms_worker", description="Deliver queued SMS notices.")
    parser.add_argument("--once", action="store_true", help="one pass, print the counts, exit")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes (default 5)")
    parser.add_argument("--batch", type=int, default=100, help="messages per pass (default 100)")
    args = parser.parse_args(argv)
    if not 0.1 <= args.interval <= 3600 or not 1 <= args.batch <= 1000:
        parser.error("--interval 0.1..3600, --batch 1..1000")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        gateway = gateway_from_env()
    except Exception as exc:  # misconfiguration: say what is missing and stop
        print(f"sms_worker: {exc}", file=sys.stderr)
        return 2
    if args.once:
        print(json.dumps(run_once(gateway, args.batch)))
        return 0
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("delivering SMS through %s every %.1fs", gateway.name, args.interval)
    while not stopping:
        try:
            counts = run_once(gateway, args.batch)
            if any(counts.values()):
                log.info("%s", counts)
        except Exception:  # a database hiccup must not end the worker
            log.exception("delivery pass failed")
        deadline = time.monotonic() + args.interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, args.interval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
