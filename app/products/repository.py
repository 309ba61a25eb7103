"""Queries on the product catalogue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.engine import RowMapping
from sqlmodel import Session, select

from app.core.pagination import PageRequest, encode_cursor, str_position
from app.products.table import ProductRow
from schemas.products import Product, ProductCreate, ProductFields


def _to_schema(row: ProductRow) -> Product:
    return Product.model_validate(row.model_dump())


def list_products(session: Session, *, active_only: bool = False) -> list[Product]:
    query = select(ProductRow).order_by(ProductRow.code)
    if active_only:
        query = query.where(ProductRow.active == True)  # noqa: E712
    return [_to_schema(r) for r in session.exec(query).all()]


_KIND = "products"


def page_products(session: Session, *, page: PageRequest) -> tuple[list[Product], str | None]:
    """The catalogue by code, a page at a time."""
    query = select(ProductRow)
    last = str_position(_KIND, page.cursor)
    if last is not None:
        query = query.where(ProductRow.code > last)
    rows = session.exec(query.order_by(ProductRow.code).limit(page.limit + 1)).all()
    items = [_to_schema(r) for r in rows[: page.limit]]
    return items, (encode_cursor(_KIND, [items[-1].code]) if len(rows) > page.limit else None)


_PRODUCT = select(ProductRow.__table__).where(ProductRow.code == bindparam("code"))  # type: ignore[attr-defined]


PRODUCT_COLUMNS = tuple(ProductRow.__table__.c)  # type: ignore[attr-defined]


def get_product(session: Session, code: str) -> Product | None:
    # A Core read (prepared once): every filing and max-amount quote looks its product up,
    # and an ORM identity load costs several times the query itself.
    row = session.connection().execute(_PRODUCT, {"code": code}).first()
    return product_of(row._mapping) if row else None


def product_of(mapping: RowMapping) -> Product:
    """The product in a Core row that selected :data:`PRODUCT_COLUMNS` (maybe among others)."""
    return Product.model_validate({c.name: mapping[c] for c in PRODUCT_COLUMNS})


def _columns(fields: ProductFields) -> dict[str, Any]:
    data = fields.model_dump(mode="python")
    data["rate_by_grade"] = {k: str(v) for k, v in fields.rate_by_grade.items()}
    data["channels"] = [c.value for c in fields.channels]
    data["required_documents"] = [d.value for d in fields.required_documents]
    return data


def insert_product(session: Session, product: ProductCreate) -> Product:
    row = ProductRow(**_columns(product))
    session.add(row)
    session.flush()
    return _to_schema(row)


def replace_product(session: Session, code: str, fields: ProductFields) -> Product | None:
    row = session.get(ProductRow, code, with_for_update=True)
    if row is None:
        return None
    for key, value in _columns(fields).items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return _to_schema(row)
