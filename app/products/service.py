"""Catalogue rules: codes are unique, changes are audited."""

from __future__ import annotations

from sqlmodel import Session

from app.audit import service as audit
from app.core.errors import Conflict, NotFound
from app.core.security import Principal
from app.products import repository
from schemas.products import Product, ProductCreate, ProductFields


def get(*, session: Session, code: str) -> Product:
    product = repository.get_product(session, code)
    if product is None:
        raise NotFound(f"No product with code '{code}'.")
    return product


def create(*, session: Session, product: ProductCreate, actor: Principal) -> Product:
    if repository.get_product(session, product.code) is not None:
        raise Conflict(f"A product with code '{product.code}' already exists.")
    created = repository.insert_product(session, product)
    audit.record(
        session, actor=actor.actor, action="product.created", entity="product", entity_id=product.code
    )
    return created


def replace(*, session: Session, code: str, fields: ProductFields, actor: Principal) -> Product:
    updated = repository.replace_product(session, code, fields)
    if updated is None:
        raise NotFound(f"No product with code '{code}'.")
    audit.record(session, actor=actor.actor, action="product.updated", entity="product", entity_id=code)
    return updated
