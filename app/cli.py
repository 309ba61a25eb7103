"""The ``loans`` command: serve, migrate, keys, demo, scorecard and batch scoring."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import make_engine, transaction
from schemas.identity import Role


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app import migrate

    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    uvicorn.run(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0


def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from app import migrate

    migrate.upgrade(settings.database_url)
    print("database is at the latest schema")
    return 0


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from app.apikeys import service

    engine = make_engine(settings)
    try:
        with transaction(engine, write=True) as session:
            if args.keys_command == "create":
                try:
                    row, key = service.create_key(
                        session,
                        role=Role(args.role),
                        name=args.name,
                        branch_id=args.branch,
                        partner_id=args.partner,
                    )
                except service.ApiKeyRequestError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                print(f"created key id={row.id} name={row.name} role={row.role}", file=sys.stderr)
                print(key)
            elif args.keys_command == "list":
                for info in service.list_keys(session):
                    print(json.dumps(info.model_dump(mode="json")))
            elif args.keys_command == "revoke":
                try:
                    service.revoke_key(session, args.id)
                except service.ApiKeyRequestError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                print(f"revoked key id={args.id}")
    finally:
        engine.dispose()
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from app import migrate
    from app.core.clock import business_calendar
    from app.demo import load as load_demo
    from app.loans.close_of_business import close_day

    migrate.upgrade(settings.database_url)
    today = business_calendar(settings.business_date)()
    engine = make_engine(settings)
    try:
        if args.loans:
            from app.demo_book import build_book

            summary = build_book(settings, engine, loans=args.loans, seed=args.seed, today=today,
                                 workers=args.workers)
        else:
            with Session(engine) as session:
                summary = load_demo(session, seed=args.seed, today=today)
                session.commit()
        # the book's history: every month end since the oldest loan, then today
        summary.append(close_day(settings, engine, today, workers=args.workers, progress=True).line())
    finally:
        engine.dispose()
    for line in summary:
        print(line)
    return 0


def _close_day(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from app.core.clock import business_calendar
    from app.loans.close_of_business import close_day

    today = business_calendar(settings.business_date)()
    day = date.fromisoformat(args.date) if args.date else today
    if day > today:
        print(f"error: {day} is after the business date {today}; a day is closed once it has happened",
              file=sys.stderr)
        return 2
    engine = make_engine(settings)
    try:
        summary = close_day(settings, engine, day, workers=args.workers, chunk_size=args.chunk_size,
                            progress=not args.quiet)
    finally:
        engine.dispose()
    print(summary.line())
    return 0


def _scorecard_fit(args: argparse.Namespace, _settings: Settings) -> int:
    from scoring import fit_from_csv, validate
    from scoring.application_features import german_credit_columns

    options = {"version": args.version} if args.version else {}
    card = fit_from_csv(args.data, **options)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(card.to_json())
    print(f"wrote {args.out} (version {card.version})", file=sys.stderr)
    try:
        columns, bad = german_credit_columns(args.data)
        print(validate(card, columns, bad).format(), file=sys.stderr)
    except (KeyError, ValueError):
        pass  # not the German layout: the fit summary above is all there is
    return 0


def _score(args: argparse.Namespace, settings: Settings) -> int:
    from scoring import load_scorecard, score_csv

    card = load_scorecard(args.card or settings.scorecard_path)
    rows = score_csv(card, args.input, args.output, chunk_rows=args.chunk_rows)
    print(f"scored {rows} rows with {card.version} -> {args.output}", file=sys.stderr)
    return 0


def _openapi(args: argparse.Namespace, _settings: Settings) -> int:
    from app.contract import render_openapi_yaml

    text = render_openapi_yaml()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loans", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service (migrates SQLite first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)

    sub.add_parser("migrate", help="bring the database to the latest schema").set_defaults(func=_migrate)

    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key; prints it alone on the last line")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--branch")
    create.add_argument("--partner")
    create.add_argument("--name")
    keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    keys.set_defaults(func=_keys)

    demo = sub.add_parser("demo", help="load a realistic demo data set")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--loans", type=int, default=0,
                      help="build a book of N loans through the bulk path (COPY on PostgreSQL) instead")
    demo.add_argument("--workers", type=int, default=2, help="processes for the bulk path and the close")
    demo.set_defaults(func=_demo)

    close = sub.add_parser("close-day", help="the close of business: bring every loan's stored state to a day")
    close.add_argument("--date", help="the day to close (YYYY-MM-DD; default: the business date)")
    close.add_argument("--workers", type=int, default=1, help="processes taking chunks (PostgreSQL)")
    close.add_argument("--chunk-size", type=int, default=2000, help="loans per chunk (one transaction each)")
    close.add_argument("--quiet", action="store_true", help="no progress bar")
    close.set_defaults(func=_close_day)

    scorecard = sub.add_parser("scorecard", help="fit a scorecard from a CSV")
    scorecard_sub = scorecard.add_subparsers(dest="scorecard_command", required=True)
    fit = scorecard_sub.add_parser(
        "fit", help="fit a card on a CSV (German Credit layout or application fields + bad)"
    )
    fit.add_argument("--data", required=True)
    fit.add_argument("--out", required=True)
    fit.add_argument("--version", help="version string stored in the card")
    fit.set_defaults(func=_scorecard_fit)

    score = sub.add_parser("score", help="score a CSV of applications in batch (streaming)")
    score.add_argument("--input", required=True)
    score.add_argument("--output", required=True)
    score.add_argument("--card", help="scorecard JSON; default LOANS_SCORECARD_PATH or the shipped card")
    score.add_argument("--chunk-rows", type=int, default=100_000)
    score.set_defaults(func=_score)

    openapi = sub.add_parser("openapi", help="print or write the OpenAPI contract as YAML")
    openapi.add_argument("--out", default="-", help="file to write, '-' for stdout")
    openapi.set_defaults(func=_openapi)

    from app.pricing.cli import register as register_psk_limits

    register_psk_limits(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args, get_settings()))


if __name__ == "__main__":
    raise SystemExit(main())
