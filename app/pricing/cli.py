"""``loans psk-limits load FILE``: validate one quarter's table and store it."""

from __future__ import annotations

import argparse
import json
import sys

from app.core.config import Settings
from app.core.db import make_engine, transaction
from app.pricing import repository
from app.pricing.limits import LimitTableError, parse_table


def load_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with open(args.file, encoding="utf-8") as fh:
            data = json.load(fh)
        table = parse_table(data)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"error: {args.file} is not JSON: {exc}", file=sys.stderr)
        return 2
    except LimitTableError as exc:
        print(f"error: {args.file} {exc.pointer}: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(settings)
    try:
        with transaction(engine, write=True) as session:
            row = repository.load(session, table, loaded_by=args.by)
            version = row.version
    finally:
        engine.dispose()
    print(f"loaded the {table.quarter} PSK limits ({len(table.rows)} categories), version {version}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    limits = sub.add_parser("psk-limits", help="load the Bank of Russia's quarterly PSK limit tables")
    limits_sub = limits.add_subparsers(dest="psk_limits_command", required=True)
    load = limits_sub.add_parser("load", help="validate a quarter's table (JSON) and store it")
    load.add_argument("file", help="e.g. app/pricing/data/psk-limits-2025Q3.json")
    load.add_argument("--by", default="cli", help="who loads it (kept with the table)")
    load.set_defaults(func=load_command)
