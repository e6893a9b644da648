"""``python -m rxapp.warning train [--db URL] [--limit N]``: train the 超期预警 model (nightly).
``python -m rxapp.warning remind [--db URL]``: queue the once-per-case reminder SMS.

Prints one JSON line: the model version, the time-split test figures (ROC AUC,
precision and recall at the top 10 % risk, reliability table), or the number
of reminders queued.
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlmodel import Session

from rxapp.db import db_url, make_engine
from rxapp.domain.errors import DomainError
from rxapp.domain.warning import TRAIN_LIMIT, send_reminders, train_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rxapp.warning", description="超期预警模型：训练、发送提醒短信")
    parser.add_argument("command", choices=("train", "remind"))
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy URL (default: $REFLEX_DB_URL or sqlite:///griddesk.db)")
    parser.add_argument("--limit", type=int, default=TRAIN_LIMIT, help="最近的已办结诉求条数（训练样本上限）")
    args = parser.parse_args(argv)
    with Session(make_engine(args.db or db_url())) as session:
        try:
            if args.command == "train":
                row = train_model(session, actor=None, limit=args.limit, note="python -m rxapp.warning train")
                print(json.dumps({"version": row.version, "trained_rows": row.trained_rows, **json.loads(row.metrics_json)},
                                 ensure_ascii=False))
            else:
                print(json.dumps({"reminders_queued": send_reminders(session)}))
        except DomainError as exc:
            print(exc.message, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
