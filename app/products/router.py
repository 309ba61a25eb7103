"""``/v1/products``: the catalogue of lending programmes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.core.errors import problem_responses
from app.deps import Admin, Caller, Idempotency, PageParams, ReadSession, ServiceRoute, WriteSession
from app.products import repository, service
from schemas.products import Product, ProductCreate, ProductFields, ProductPage

router = APIRouter(prefix="/v1/products", tags=["products"], route_class=ServiceRoute)
Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,39}$", examples=["consumer"])]
_COMMON = (401, 429, 503)


@router.get("", summary="Every lending programme", responses=problem_responses(*_COMMON))
def list_products(_: Caller, session: ReadSession, page: PageParams) -> ProductPage:
    items, next_cursor = repository.page_products(session, page=page)
    return ProductPage(items=items, next_cursor=next_cursor)


@router.get("/{code}", summary="One programme", responses=problem_responses(*_COMMON, 404, 422))
def get_product(code: Code, _: Caller, session: ReadSession) -> Product:
    return service.get(session=session, code=code)


@router.post(
    "",
    status_code=201,
    summary="Add a programme (admin)",
    responses=problem_responses(*_COMMON, 403, 409, 413, 422),
)
def create_product(
    body: ProductCreate, principal: Admin, session: WriteSession, _: Idempotency
) -> Product:
    return service.create(session=session, product=body, actor=principal)


@router.put(
    "/{code}",
    summary="Replace a programme's terms (admin)",
    responses=problem_responses(*_COMMON, 403, 404, 413, 422),
)
def replace_product(
    code: Code,
    body: ProductFields, principal: Admin, session: WriteSession
) -> Product:
    return service.replace(session=session, code=code, fields=body, actor=principal)
