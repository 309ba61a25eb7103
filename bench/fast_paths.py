"""Do the quote fast paths beat noise? One run, every figure against a baseline of the same run.

Not a test. Run: ``.venv/bin/python bench/fast_paths.py 2>/dev/null`` (stderr carries the
app's access log). Each table row is the median of ``--repeats`` timings; within a repeat
the variants run one after another in a rotating order, so drift in the machine's load
(2 shared cores) spreads over all of them. Each timing is taken on two clocks: wall
(``perf_counter``) and this process's CPU time (``process_time``), which other jobs on the
box disturb far less. Every table has an A/A row, the baseline timed again under another
name: its ratio is the noise of that table.

What is measured, for 12-, 60- and 360-month annuity quotes:

* body: the bytes of ``POST /v1/quotes`` built in-process, maths included;
* route: ``POST /v1/quotes`` through the whole ASGI app (httpx ``ASGITransport``,
  SQLite, the key cache on), with ``service.quote_bytes`` swapped per variant.

Variants: the plain path (``build_schedule`` + ``Quote.model_dump_json()``), the Decimal
rows written by the hand-written JSON writer (``quote_json``), and the kopeck columns
(``kopeck_quote_json``) with the money split into roubles and kopecks by numpy or by
plain Python.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

import httpx

from app import loanmath, migrate
from app.apikeys import service as keys_service
from app.core.config import Settings
from app.core.db import transaction
from app.main import create_app
from app.quotes import service
from schemas.identity import Role
from schemas.quotes import QuoteRequest

TERMS = (12, 60, 360)
TODAY = date(2026, 11, 23)


def _body(term: int) -> dict[str, Any]:
    return {"amount": "500000.00", "annual_rate": "27.9", "term_months": term, "issue_date": "2026-11-23"}


def _python_split(s: loanmath.KopeckSchedule) -> list[int]:
    """The plain-Python (roubles, kopecks) split that short quotes used until the run in
    docs/loan-maths.md showed it within 15 % of numpy's (kept here as the contender)."""
    values: list[int] = []
    extend = values.extend
    for row in zip(s.principal, s.interest, s.payment, s.balance, strict=True):
        for v in row:
            extend(divmod(v, 100))
    return values


_NUMPY_SPLIT = service._row_values


def _with_split(split: Callable[[loanmath.KopeckSchedule], list[int]], fn: Callable[[], bytes]) -> Callable[[], bytes]:
    """``fn`` run with ``split`` as the quote writer's money splitter."""

    def run() -> bytes:
        service._row_values = split  # type: ignore[assignment]
        try:
            return fn()
        finally:
            service._row_values = _NUMPY_SPLIT

    return run


def body_variants(req: QuoteRequest) -> dict[str, Callable[[], bytes]]:
    terms = service.terms_from(req, TODAY)

    def plain() -> bytes:
        return service.to_quote(loanmath.build_schedule(terms)).model_dump_json().encode()

    def decimal_hand() -> bytes:
        return service.quote_json(loanmath.build_schedule(terms))

    def kopeck() -> bytes:
        return service.kopeck_quote_json(loanmath.kopeck_schedule(terms))

    return {
        "plain: build_schedule + model_dump_json": plain,
        "A/A: the plain path again": plain,
        "Decimal rows + hand JSON": decimal_hand,
        "kopecks + hand JSON, numpy split": _with_split(_NUMPY_SPLIT, kopeck),
        "kopecks + hand JSON, Python split": _with_split(_python_split, kopeck),
    }


Samples = dict[str, list[tuple[float, float]]]  # variant -> [(wall us, CPU us) per call]


def _per_call(wall: float, cpu: float, number: int) -> tuple[float, float]:
    return (time.perf_counter() - wall) / number * 1e6, (time.process_time() - cpu) / number * 1e6


def _order(names: list[str], r: int) -> list[str]:
    return names[r % len(names) :] + names[: r % len(names)]


def writer_variants(req: QuoteRequest) -> dict[str, Callable[[], bytes]]:
    """The JSON writers alone, on a schedule computed once."""
    terms = service.terms_from(req, TODAY)
    rows = loanmath.build_schedule(terms)
    columns = loanmath.kopeck_schedule(terms)

    def plain() -> bytes:
        return service.to_quote(rows).model_dump_json().encode()

    return {
        "plain: to_quote + model_dump_json": plain,
        "A/A: the plain writer again": plain,
        "hand JSON of Decimal rows (quote_json)": lambda: service.quote_json(rows),
        "hand JSON of kopecks, numpy split": _with_split(_NUMPY_SPLIT, lambda: service.kopeck_quote_json(columns)),
        "hand JSON of kopecks, Python split": _with_split(_python_split, lambda: service.kopeck_quote_json(columns)),
    }


def race(variants: Mapping[str, Callable[[], object]], *, number: int, repeats: int) -> Samples:
    """Microseconds per call of each variant, ``repeats`` samples each, rotating the order."""
    names = list(variants)
    for fn in variants.values():  # warm caches (templates, dates) outside the timing
        fn()
    samples: Samples = {name: [] for name in names}
    for r in range(repeats):
        for name in _order(names, r):
            fn = variants[name]
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(number):
                fn()
            samples[name].append(_per_call(wall, cpu, number))
    return samples


async def race_async(variants: Mapping[str, Callable[[], Awaitable[object]]], *, number: int, repeats: int) -> Samples:
    names = list(variants)
    for fn in variants.values():
        for _ in range(20):
            await fn()
    samples: Samples = {name: [] for name in names}
    for r in range(repeats):
        for name in _order(names, r):
            fn = variants[name]
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(number):
                await fn()
            samples[name].append(_per_call(wall, cpu, number))
    return samples


def table(title: str, samples: Samples, baseline: str, pairs: list[tuple[str, str]]) -> None:
    wall = {name: statistics.median(w for w, _ in v) for name, v in samples.items()}
    cpu = {name: statistics.median(c for _, c in v) for name, v in samples.items()}
    print(f"\n{title}\n")
    print("| variant | wall µs (median) | CPU µs (median) | CPU min..max | CPU / baseline | wall / baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, v in samples.items():
        cs = [c for _, c in v]
        print(
            f"| {name} | {wall[name]:,.1f} | {cpu[name]:,.1f} | {min(cs):,.0f}..{max(cs):,.0f} "
            f"| {cpu[name] / cpu[baseline]:.3f} | {wall[name] / wall[baseline]:.3f} |"
        )
    print()
    for a, b in pairs:
        print(f"- `{a}` / `{b}`: CPU **{cpu[a] / cpu[b]:.3f}**, wall {wall[a] / wall[b]:.3f}")


async def route_tables(number: dict[int, int], repeats: int) -> None:
    folder = tempfile.mkdtemp(prefix="bench-fast-paths-")
    url = f"sqlite:///{folder}/loans.db"
    migrate.upgrade(url)
    app = create_app(Settings(database_url=url))
    with transaction(app.state.engine, write=True) as session:
        _, key = keys_service.create_key(session, role=Role.ADMIN, name="bench")
    headers = {"Authorization": f"Bearer {key}"}
    served = service.quote_bytes

    def plain(req: QuoteRequest, *, today: date) -> bytes:
        return service.to_quote(loanmath.build_schedule(service.terms_from(req, today))).model_dump_json().encode()

    def decimal_hand(req: QuoteRequest, *, today: date) -> bytes:
        return service.quote_json(loanmath.build_schedule(service.terms_from(req, today)))

    def kopeck_numpy(req: QuoteRequest, *, today: date) -> bytes:
        return _with_split(_NUMPY_SPLIT, lambda: served(req, today=today))()

    def kopeck_python(req: QuoteRequest, *, today: date) -> bytes:
        return _with_split(_python_split, lambda: served(req, today=today))()

    impls: dict[str, Callable[..., bytes]] = {
        "plain: build_schedule + model_dump_json": plain,
        "A/A: the plain path again": plain,
        "Decimal rows + hand JSON": decimal_hand,
        "kopecks + hand JSON, numpy split": kopeck_numpy,
        "kopecks + hand JSON, Python split": kopeck_python,
        "served (as committed)": served,
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for term in TERMS:
            body = _body(term)
            expected = (await client.post("/v1/quotes", headers=headers, json=body)).content

            def call(impl: Callable[..., bytes], body: dict[str, Any] = body) -> Callable[[], Awaitable[object]]:
                async def run() -> None:
                    service.quote_bytes = impl
                    r = await client.post("/v1/quotes", headers=headers, json=body)
                    if r.status_code != 200:
                        raise RuntimeError(r.text)

                return run

            for impl in impls.values():  # every variant serves the same bytes
                service.quote_bytes = impl
                got = (await client.post("/v1/quotes", headers=headers, json=body)).content
                assert got == expected, impl
            samples = await race_async({n: call(i) for n, i in impls.items()}, number=number[term], repeats=repeats)
            service.quote_bytes = served
            table(
                f"Route: POST /v1/quotes, {term} months (in-process ASGI, {number[term]} calls x {repeats})",
                samples,
                "plain: build_schedule + model_dump_json",
                [
                    ("Decimal rows + hand JSON", "plain: build_schedule + model_dump_json"),
                    ("kopecks + hand JSON, numpy split", "Decimal rows + hand JSON"),
                    ("kopecks + hand JSON, Python split", "kopecks + hand JSON, numpy split"),
                ],
            )
    app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--route-repeats", type=int, default=11)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of calls per sample")
    args = parser.parse_args()

    for term in TERMS:
        req = QuoteRequest.model_validate(_body(term))
        variants = body_variants(req)
        outputs = {fn() for fn in variants.values()}
        assert len(outputs) == 1, "the variants disagree on the bytes"
        number = max(10, int(3000 * args.scale) // term)
        writers = writer_variants(req)
        assert len({fn() for fn in writers.values()}) == 1, "the writers disagree on the bytes"
        table(
            f"JSON writer alone: {term} months ({number} calls x {args.repeats})",
            race(writers, number=number, repeats=args.repeats),
            "plain: to_quote + model_dump_json",
            [
                ("hand JSON of Decimal rows (quote_json)", "plain: to_quote + model_dump_json"),
                ("hand JSON of kopecks, Python split", "hand JSON of kopecks, numpy split"),
            ],
        )
        table(
            f"Body: {term} months ({number} calls x {args.repeats})",
            race(variants, number=number, repeats=args.repeats),
            "plain: build_schedule + model_dump_json",
            [
                ("Decimal rows + hand JSON", "plain: build_schedule + model_dump_json"),
                ("kopecks + hand JSON, numpy split", "Decimal rows + hand JSON"),
                ("kopecks + hand JSON, Python split", "kopecks + hand JSON, numpy split"),
            ],
        )
    calls = {12: int(600 * args.scale), 60: int(300 * args.scale), 360: int(100 * args.scale)}
    asyncio.run(route_tables(calls, args.route_repeats))


if __name__ == "__main__":
    main()
