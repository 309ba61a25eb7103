"""OpenAPI links: which value of a response feeds which later operation.

A front-end reads them as the next steps a response allows (file an application, then
issue its contract, sign, disburse, then service the loan); a stateful fuzzer walks the
same graph. Operations are named by method and path template here and the links point at
their ``operationId`` as the contract states it, so a renamed route function does not
break a link, and a link whose operation is gone is left out rather than failing the
contract (``tests/reliability/test_stateful_fuzz.py`` holds every link present).

A state change is linked from the response of the step before it (contract from filing,
signature from the contract, disbursement from the signature), not from every read of
the application: the read does not say whether the state allows it.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Link(NamedTuple):
    source: str  # "METHOD /path" of the operation whose response carries the value
    status: str  # the response status the link follows
    name: str
    target: str  # "METHOD /path" of the operation the value feeds
    parameters: dict[str, str]  # "path.NAME" / "query.NAME" -> runtime expression
    description: str


_APP = "/v1/applications/{application_id}"
_LOAN = "/v1/loans/{loan_id}"
_MANAGER = "/v1/managers/{manager_id}"
_PRODUCT = "/v1/products/{code}"

_BY_ID = {"path.application_id": "$response.body#/id"}
_LOAN_BY_ID = {"path.loan_id": "$response.body#/id"}
_MANAGER_BY_ID = {"path.manager_id": "$response.body#/id"}


def _application_steps(source: str, status: str, *steps: tuple[str, str, str]) -> list[Link]:
    return [Link(source, status, name, target, _BY_ID, description) for name, target, description in steps]


_GET = ("GetApplication", f"GET {_APP}", "The application as it stands")
_HISTORY = ("GetHistory", f"GET {_APP}/history", "Every transition of the application")
_DOCUMENT = ("AddDocument", f"POST {_APP}/documents", "Add a missing document")
_DECIDE = ("Decide", f"POST {_APP}/decision", "A risk officer decides a referred application")
_CONTRACT = ("IssueContract", f"POST {_APP}/contract", "Issue the agreement of an approved application")
_PRINT = ("GetContract", f"GET {_APP}/contract", "The agreement as JSON or printable HTML")
_SIGN = ("Sign", f"POST {_APP}/sign", "Record the borrower's signature")
_DISBURSE = ("Disburse", f"POST {_APP}/disburse", "Disburse a signed application; returns the loan")
_WITHDRAW = ("Withdraw", f"POST {_APP}/withdraw", "Withdraw before disbursement")

LINKS: list[Link] = [
    *_application_steps("POST /v1/applications", "201", _GET, _HISTORY, _DOCUMENT, _DECIDE, _CONTRACT, _WITHDRAW),
    Link("GET /v1/applications", "200", "GetApplication", f"GET {_APP}",
         {"path.application_id": "$response.body#/items/0/id"}, "The first application of the page"),
    *_application_steps(f"GET {_APP}", "200", _HISTORY),
    Link(f"GET {_APP}", "200", "GetLoan", f"GET {_LOAN}", {"path.loan_id": "$response.body#/loan_id"},
         "The loan of a disbursed application"),
    *_application_steps(f"POST {_APP}/documents", "200", _GET, _DECIDE, _CONTRACT),
    *_application_steps(f"POST {_APP}/decision", "200", _GET, _CONTRACT),
    # the contract answers the agreement, whose application is its application_id
    *[Link(f"POST {_APP}/contract", "200", name, target, {"path.application_id": "$response.body#/application_id"},
           description) for name, target, description in (_PRINT, _SIGN)],
    *_application_steps(f"POST {_APP}/sign", "200", _GET, _DISBURSE),
    Link(f"POST {_APP}/disburse", "201", "GetLoan", f"GET {_LOAN}", _LOAN_BY_ID, "The loan just disbursed"),
    Link(f"POST {_APP}/disburse", "201", "Pay", f"POST {_LOAN}/payments", _LOAN_BY_ID, "Record a repayment"),
    Link(f"POST {_LOAN}/payments", "201", "GetLoan", f"GET {_LOAN}", _LOAN_BY_ID, "The loan after the payment"),
    Link(f"POST {_LOAN}/payments", "201", "Pay", f"POST {_LOAN}/payments", _LOAN_BY_ID, "Record another repayment"),
    Link(f"GET {_LOAN}", "200", "Pay", f"POST {_LOAN}/payments", _LOAN_BY_ID, "Record a repayment"),
    Link(f"GET {_LOAN}", "200", "GetApplication", f"GET {_APP}",
         {"path.application_id": "$response.body#/application_id"}, "The application the loan came from"),
    Link("GET /v1/loans", "200", "GetLoan", f"GET {_LOAN}", {"path.loan_id": "$response.body#/items/0/id"},
         "The first loan of the page"),
    Link("POST /v1/managers", "201", "GetManager", f"GET {_MANAGER}", _MANAGER_BY_ID, "The manager just registered"),
    Link("POST /v1/managers", "201", "GetPortfolio", f"GET {_MANAGER}/portfolio", _MANAGER_BY_ID,
         "The manager's portfolio"),
    Link("POST /v1/managers", "201", "SetPlan", f"PUT {_MANAGER}/plan", _MANAGER_BY_ID, "Set the manager's plan"),
    Link("GET /v1/managers", "200", "GetManager", f"GET {_MANAGER}", {"path.manager_id": "$response.body#/0/id"},
         "The first manager of the page"),
    Link(f"GET {_MANAGER}", "200", "GetPortfolio", f"GET {_MANAGER}/portfolio", _MANAGER_BY_ID,
         "The manager's portfolio"),
    Link("POST /v1/products", "201", "GetProduct", f"GET {_PRODUCT}", {"path.code": "$response.body#/code"},
         "The programme just added"),
    Link("POST /v1/products", "201", "ReplaceProduct", f"PUT {_PRODUCT}", {"path.code": "$response.body#/code"},
         "Replace the programme's terms"),
    Link("GET /v1/products", "200", "GetProduct", f"GET {_PRODUCT}", {"path.code": "$response.body#/0/code"},
         "The first programme of the catalogue"),
    Link(f"GET {_PRODUCT}", "200", "ReplaceProduct", f"PUT {_PRODUCT}", {"path.code": "$response.body#/code"},
         "Replace the programme's terms"),
]


def _operation(schema: dict[str, Any], label: str) -> dict[str, Any] | None:
    method, path = label.split(" ", 1)
    operation = schema.get("paths", {}).get(path, {}).get(method.lower())
    return operation if isinstance(operation, dict) else None


def add_links(schema: dict[str, Any]) -> None:
    """Write :data:`LINKS` into the responses of ``schema`` (an OpenAPI 3.1 document), in place."""
    for link in LINKS:
        source, target = _operation(schema, link.source), _operation(schema, link.target)
        if source is None or target is None or "operationId" not in target:
            continue
        response = source.get("responses", {}).get(link.status)
        if response is None:
            continue
        response.setdefault("links", {})[link.name] = {
            "operationId": target["operationId"],
            "parameters": dict(link.parameters),
            "description": link.description,
        }
