"""The OpenAPI schema (/api/schema/) agrees with the API (issue 13, defect 8):
schemathesis generates requests for every operation from the schema (valid
and invalid ones), anonymous and with a token, and checks each answer: never
a 5xx, a documented status code and content type, and a body that matches
the documented schema. Bounded: FUZZ_EXAMPLES (20) per operation.

    .venv/bin/python -m pytest tests/shop/test_api_schema_fuzz.py -m slow -q
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shop.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """The WSGI handler closes the database connection after each request
    (request_finished -> close_old_connections), which would close the test's
    transaction; Django's test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def shopper_token(db):
    from rest_framework.authtoken.models import Token

    from tests.checkout.factories import CustomerFactory, ProductFactory

    ProductFactory(stock=50)
    customer = CustomerFactory()
    return Token.objects.create(user=customer.user).key


@pytest.fixture
def catalog(db):
    from tests.checkout.factories import ProductFactory

    return [ProductFactory(stock=50) for _ in range(3)]


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_anonymous(case, catalog):
    cache.clear()  # the throttles: fuzzing from one address would otherwise meet 429 after 120 calls
    case.call_and_validate(checks=CHECKS)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_with_a_token(case, shopper_token):
    cache.clear()
    case.call_and_validate(headers={"Authorization": f"Token {shopper_token}"}, checks=CHECKS)


@pytest.mark.django_db
def test_the_schema_states_what_the_fuzzing_found():
    """The contract failures of the issue, checked in the fast suite too."""
    from rest_framework.test import APIClient

    doc = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    orders = doc["paths"]["/api/orders/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert orders == {"$ref": "#/components/schemas/PaginatedOrderSummaryList"}
    page = doc["components"]["schemas"]["PaginatedOrderSummaryList"]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert "field_name" not in str(doc["components"]["schemas"]["CheckoutErrorResponse"])
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert {"400", "401", "403", "404", "429"} <= set(operation["responses"]), (method, path)
    assert "409" in doc["paths"]["/api/checkout/"]["post"]["responses"]
