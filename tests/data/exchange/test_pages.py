"""A page's JSON is written by DuckDB when it can be, and is the same bytes either way."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govhub.data.catalog.models import Resource
from govhub.data.exchange import service
from govhub.data.exchange.schemas import QueryRequest
from govhub.data.exchange.writers import json_rows
from govhub.identity import authn
from govhub.ledger.service import canonical_json
from tests.data.exchange.conftest import Consumer, consumer_of, ingest_as_owner, query
from tests.data.helpers import make_resource
from tests.factories import World

TEXTS = [
    "宁波甲公司",
    'say "hi"',
    "C:\\dir\\",
    "line\nbreak\ttab\rreturn",
    "emoji 😀 and \u2028 and \x7f",
    "",
    None,
    "the text \\u00e9, not an escape",
    "bell \x07 and unit separator \x1f",
]
ROWS = len(TEXTS)
FIELDS = [
    {"name": "szqh", "type": "string"},
    {"name": "mc", "type": "string"},
    {"name": "bz", "type": "string"},
    {"name": "xh", "type": "integer"},
    {"name": "yx", "type": "boolean"},
    {"name": "rq", "type": "date"},
    {"name": "bl", "type": "decimal"},
]


def _table() -> pa.Table:
    clean = [t if t is None or "\x07" not in t else "plain" for t in TEXTS]
    return pa.table(
        {
            "szqh": ["330203001"] * ROWS,
            "mc": pa.array(clean, pa.string()),  # no control character DuckDB escapes otherwise
            "bz": pa.array(TEXTS, pa.string()),  # one row holds one
            "xh": pa.array(range(ROWS), pa.int64()),
            "yx": pa.array([i % 3 == 0 if i != 4 else None for i in range(ROWS)]),
            "rq": pa.array([date(2001, 2, 3) + timedelta(days=400 * i) for i in range(ROWS)]),
            "bl": pa.array([1.5, -0.0, math.nan, 1e100, None, 2.0, 3.25, 1e-7, 0.1]),
        }
    )


@pytest.fixture
def tricky(session: Session, world: World, client: TestClient, tmp_path: Path) -> Consumer:
    """A resource of awkward values (quotes, backslashes, control characters, floats) granted
    in full, unmasked, to city B's system."""
    resource: Resource = make_resource(session, world, fields=FIELDS)
    source = tmp_path / "tricky.parquet"
    pq.write_table(_table(), source)
    ingest_as_owner(session, world, resource, source)
    names = [f["name"] for f in FIELDS if f["name"] != "szqh"]
    return consumer_of(session, world, client, resource, world.city_b_market, fields=names)


def _expected(fields: list[str], offset: int, limit: int) -> bytes:
    """The rows as the ledger's canonical JSON, computed from the file with pyarrow alone."""
    table = _table().select(fields).slice(offset, limit)
    return canonical_json(json_rows(table))


def _rows_bytes(raw: bytes) -> bytes:
    start = raw.index(b'"rows":') + len(b'"rows":')
    return raw[start : raw.index(b',"offset":')]


def _plan(session: Session, consumer: Consumer, body: dict[str, Any]) -> service.Plan:
    return service.plan_query(
        session,
        principal=authn.principal_for_client(session, consumer.client),
        resource_id=consumer.resource.id,
        request=QueryRequest.model_validate(body),
    )


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        (["mc", "xh", "yx", "rq"], "json"),  # text, whole numbers, booleans, dates: DuckDB
        (["bz", "xh"], "json"),  # DuckDB, but a control character sends the page to Arrow
        (["mc", "bl"], "arrow"),  # floats are written by Python from Arrow
    ],
)
@pytest.mark.parametrize(("offset", "limit"), [(0, 100), (0, 3), (3, 4), (8, 5), (9, 2)])
def test_both_paths_give_the_ledger_s_canonical_bytes(
    session: Session,
    client: TestClient,
    tricky: Consumer,
    fields: list[str],
    mode: str,
    offset: int,
    limit: int,
) -> None:
    body = {"fields": fields, "order_by": [{"field": "xh"}], "offset": offset, "limit": limit}
    assert service.page_mode(_plan(session, tricky, body)) == mode
    response = query(client, tricky, **body)
    assert response.status_code == 200, response.text
    rows = _rows_bytes(response.content)
    assert rows == _expected(fields, offset, limit)
    page = response.json()
    assert hashlib.sha256(rows).hexdigest() == page["digest"]
    assert page["next_offset"] == (offset + limit if offset + limit < ROWS else None)


def test_the_control_character_page_is_read_again_as_arrow(
    session: Session, tricky: Consumer
) -> None:
    request = QueryRequest.model_validate({"fields": ["bz"], "order_by": [{"field": "xh"}]})
    plan = _plan(session, tricky, request.model_dump(mode="json"))
    assert service.page_mode(plan) == "json"
    page = service.fetch_page(plan, request)
    assert page.rows == ROWS
    assert json.loads(page.rows_json)[8] == {"bz": "bell \x07 and unit separator \x1f"}
    assert b"\\u001f" in page.rows_json  # lower case, as json.dumps writes it
    assert page.rows_json == _expected(["bz"], 0, ROWS)


def test_masked_text_is_read_as_values_and_masked_in_python(
    session: Session, world: World, client: TestClient, published: Resource
) -> None:
    consumer = consumer_of(session, world, client, published, world.city_b_market)
    names = {"fields": ["qymc", "fddbr"]}
    assert service.page_mode(_plan(session, consumer, names)) == "values"
    # The ID numbers were read from CSV as whole numbers: masked as text, from Arrow.
    everything = _plan(session, consumer, {})
    assert set(everything.policies) == {"fddbr", "fddbr_sfzh"}
    assert service.page_mode(everything) == "arrow"
    as_values, as_arrow = query(client, consumer, **names), query(client, consumer)
    assert [r["fddbr"] for r in as_values.json()["rows"]] == ["张*", "李*", "王*", "孙*"]
    assert as_values.json()["rows"] == [
        {"fddbr": r["fddbr"], "qymc": r["qymc"]} for r in as_arrow.json()["rows"]
    ]
    assert _rows_bytes(as_values.content) == canonical_json(as_values.json()["rows"])
    assert service.page_mode(_plan(session, consumer, {"fields": ["qymc", "tyshxydm"]})) == "json"
