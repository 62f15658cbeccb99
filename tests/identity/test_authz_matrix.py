"""The authorization matrix: for every API route, which roles and scopes may call it.

Each route is listed once with the permission it needs (None: public), how to build its path
and body, and whether its object is scoped. Every actor then calls every route: actors without
the permission get 401 (anonymous) or 403; actors with it get success, or 404 when the object
lies outside their division subtree, exactly as for an object that does not exist.
A route missing from the table fails the suite, so new routes must declare their rule here.
"""

from __future__ import annotations

import itertools
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govhub.data.catalog import service as catalog_service
from govhub.data.catalog.schemas import ResourceCreate
from govhub.data.ingest import jobs as ingest_jobs
from govhub.data.ingest import runner as ingest_runner
from govhub.data.ingest import service as ingest_service
from govhub.data.ingest import sources as ingest_sources
from govhub.data.ingest.schemas import DataSourceCreate
from govhub.data.quality.models import QualityAssessment
from govhub.identity import service
from govhub.identity.codes import uscc_check_char
from govhub.identity.models import Account
from govhub.identity.permissions import ROLE_PERMISSIONS, Permission, Role
from govhub.identity.schemas import CitizenRegister, EnterpriseRegister
from tests.data.lineage import matrix_support as lineage
from tests.data.opendata import matrix_support as opendata
from tests.data.sharing import matrix_support as sharing
from tests.factories import PASSWORD, World, make_id_number
from tests.ledger import matrix_support as ledger
from tests.licenses import matrix_support as licenses
from tests.notifications import matrix_support as notifications
from tests.payments import matrix_support as payments
from tests.privacy import matrix_support as consents
from tests.ratings import matrix_support as ratings
from tests.reservations import matrix_support as reservations
from tests.reservations.health import matrix_support as health
from tests.services import matrix_support as services
from tests.services import proactive_matrix as proactive

_counter = itertools.count(1)
Builder = Callable[["Actors"], Any]


@dataclass
class Actors:
    """The accounts calling each route, and the world they live in."""

    world: World
    citizen: Account
    enterprise: Account
    resource_id: uuid.UUID | None = None  # an open catalog resource of city A's market bureau
    current: str = "anonymous"  # the actor now calling, for bodies that depend on the caller
    source_id: uuid.UUID | None = None  # a data source of city A's market bureau (SQLite)
    source_url: str = ""
    job_id: uuid.UUID | None = None  # a quarantined load into the resource
    assessment_id: uuid.UUID | None = None  # the quality assessment of its first dataset

    def by_name(self) -> dict[str, Account | None]:
        """Return every actor by name (None is the anonymous caller)."""
        w = self.world
        return {
            "anonymous": None,
            "citizen": self.citizen,
            "enterprise": self.enterprise,
            "official_a": w.city_a_official,
            "approver_county_a": w.county_a_official,
            "admin_a": w.city_a_admin,
            "admin_b": w.city_b_admin,
            "leader_a": w.city_a_leader,
            "platform_admin": w.platform_admin,
        }


def _n() -> int:
    return next(_counter)


@dataclass(frozen=True)
class Rule:
    """What a route needs and how to call it."""

    method: str
    path: str
    permission: Permission | None
    params: Builder = field(default=lambda a: {})
    body: Builder | None = None
    files: Builder | None = None  # multipart uploads
    ok: tuple[int, ...] = (200,)
    # Actors allowed by permission who still get 404 because the object is out of their scope.
    out_of_scope: frozenset[str] = frozenset()
    # The actor who holds the permission but not the object, for the missing-vs-foreign test.
    foreign: str = "admin_b"
    # False for objects that are public or the caller's own (no actor holds a foreign one).
    scoped: bool = True


def _official_body(a: Actors) -> dict[str, Any]:
    n = _n()
    return {
        "username": f"new-official-{n}",
        "password": PASSWORD,
        "display_name": f"Official {n}",
        "department_id": str(a.world.city_a_market.id),
        "roles": ["approver"],
    }


RULES: list[Rule] = [
    Rule("POST", "/api/v1/auth/token", None,
         body=lambda a: {"username": a.world.city_a_official.username, "password": PASSWORD}),
    Rule("GET", "/api/v1/auth/jwks", None),
    Rule("GET", "/api/v1/me", Permission.PROFILE_READ),
    Rule("POST", "/api/v1/accounts/citizens", None, ok=(201,),
         body=lambda a: {"username": f"cit-{(n := _n())}", "password": PASSWORD,
                         "display_name": "张三", "id_number": make_id_number(seq=f"{n % 1000:03d}",
                                                                            born="19850101")}),
    Rule("POST", "/api/v1/accounts/enterprises", None, ok=(201,),
         body=lambda a: {"username": f"ent-{_n()}", "password": PASSWORD,
                         "display_name": "某某有限公司", "uscc": _uscc(_n())}),
    Rule("POST", "/api/v1/accounts/officials", Permission.ACCOUNTS_MANAGE, ok=(201,),
         body=_official_body, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/accounts", Permission.ACCOUNTS_READ),
    Rule("GET", "/api/v1/accounts/{account_id}", Permission.ACCOUNTS_READ,
         params=lambda a: {"account_id": a.world.city_a_official.id},
         out_of_scope=frozenset({"admin_b"})),
    Rule("PUT", "/api/v1/accounts/{account_id}/roles", Permission.ACCOUNTS_ROLES,
         params=lambda a: {"account_id": a.world.city_a_official.id},
         body=lambda a: {"roles": ["approver"]}, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/divisions", None),
    Rule("GET", "/api/v1/divisions/{code}", None, params=lambda a: {"code": "330100"}),
    Rule("POST", "/api/v1/divisions", Permission.DIVISIONS_MANAGE, ok=(201,),
         body=lambda a: {"code": f"330102{_n():03d}", "name": "新街道"}),
    Rule("GET", "/api/v1/departments", Permission.DEPARTMENTS_READ),
    Rule("GET", "/api/v1/departments/{department_id}", Permission.DEPARTMENTS_READ,
         params=lambda a: {"department_id": a.world.city_a_market.id},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("POST", "/api/v1/departments", Permission.DEPARTMENTS_MANAGE, ok=(201,),
         body=lambda a: {"code": f"NEW-{_n()}", "name": "新部门", "type": "health",
                         "division_code": "330100"}),
    Rule("GET", "/api/v1/audit-events", Permission.AUDIT_READ),
    Rule("POST", "/api/v1/clients", Permission.CLIENTS_MANAGE, ok=(201,),
         body=lambda a: {"name": "税务系统", "department_id": str(a.world.city_a_market.id)},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/standards/elements", None),
    Rule("GET", "/api/v1/standards/elements/{code}", None, params=lambda a: {"code": "uscc"}),
    Rule("POST", "/api/v1/standards/elements", Permission.STANDARDS_EDIT, ok=(201,),
         body=lambda a: {"code": f"scope_code_{_n()}", "name": "经营状态",
                         "allowed_values": ["1", "2"],
                         "department_id": str(a.world.city_a_market.id)},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/standards/elements/{code}/checks", None,
         params=lambda a: {"code": "gender_code"}, body=lambda a: {"values": ["1", "3"]}),
    Rule("POST", "/api/v1/standards/mapping-suggestions", Permission.CATALOG_READ,
         body=lambda a: {"columns": [{"name": "sfzh", "samples": [make_id_number()]}]}),
    Rule("GET", "/api/v1/catalog/resources", None),
    Rule("POST", "/api/v1/catalog/resources", Permission.CATALOG_EDIT, ok=(201,),
         body=lambda a: {"title": f"企业年报{_n()}", "update_frequency": "annual",
                         "sharing_type": "unconditional", "opening_type": "not_open",
                         "department_id": str(a.world.city_a_market.id)},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}", None,
         params=lambda a: {"resource_id": a.resource_id}),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/dcat", None,
         params=lambda a: {"resource_id": a.resource_id}),
    Rule("PATCH", "/api/v1/catalog/resources/{resource_id}", Permission.CATALOG_EDIT,
         params=lambda a: {"resource_id": a.resource_id},
         body=lambda a: {"description": f"第{_n()}次修订"}, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/versions", Permission.CATALOG_READ,
         params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/versions/{version}",
         Permission.CATALOG_READ, params=lambda a: {"resource_id": a.resource_id, "version": 1},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("POST", "/api/v1/catalog/resources/{resource_id}/datasets", Permission.DATA_INGEST,
         ok=(201,), params=lambda a: {"resource_id": a.resource_id},
         files=lambda a: {"file": ("register.csv", "qymc,zczb\n某公司,10\n".encode(), "text/csv")},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/catalog/resources/{resource_id}/withdraw", Permission.CATALOG_EDIT,
         ok=(200, 409), params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/catalog/resources/{resource_id}/loads", Permission.DATA_INGEST,
         ok=(202,), params=lambda a: {"resource_id": a.resource_id},
         files=lambda a: {"file": ("register.csv", "qymc,zczb\n某公司,10\n".encode(), "text/csv")},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/catalog/resources/{resource_id}/pulls", Permission.DATA_INGEST,
         ok=(202,), params=lambda a: {"resource_id": a.resource_id},
         body=lambda a: {"source_id": str(a.source_id), "table": "register"},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/data/loads", Permission.DATA_INGEST),
    Rule("GET", "/api/v1/data/loads/{job_id}", Permission.DATA_INGEST,
         params=lambda a: {"job_id": a.job_id}, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/data/loads/{job_id}/report", Permission.DATA_INGEST,
         params=lambda a: {"job_id": a.job_id}, out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/data/loads/{job_id}/retry", Permission.DATA_INGEST, ok=(202,),
         params=lambda a: {"job_id": a.job_id}, body=lambda a: {},
         out_of_scope=frozenset({"admin_b"})),
    # The first allowed actor deletes the load; for the next one it is gone.
    Rule("DELETE", "/api/v1/data/loads/{job_id}", Permission.DATA_INGEST, ok=(204, 404),
         params=lambda a: {"job_id": a.job_id}, out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/data/sources", Permission.DATA_SOURCES, ok=(201,),
         body=lambda a: {"name": f"源{_n()}", "url": a.source_url,
                         "department_id": str(a.world.city_a_market.id)},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/data/sources", Permission.DATA_INGEST),
    Rule("DELETE", "/api/v1/data/sources/{source_id}", Permission.DATA_SOURCES, ok=(204, 404),
         params=lambda a: {"source_id": a.source_id}, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/datasets", Permission.CATALOG_READ,
         params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/datasets/{version}",
         Permission.CATALOG_READ, params=lambda a: {"resource_id": a.resource_id, "version": 1},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/quality/rules", Permission.CATALOG_READ,
         params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("PUT", "/api/v1/catalog/resources/{resource_id}/quality/rules", Permission.CATALOG_EDIT,
         params=lambda a: {"resource_id": a.resource_id},
         body=lambda a: {"version": 1, "fields": {"qymc": {"required": True}}},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/quality/table-schema",
         Permission.CATALOG_READ, params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b", "approver_county_a"})),
    Rule("PUT", "/api/v1/catalog/resources/{resource_id}/quality/table-schema",
         Permission.CATALOG_EDIT, params=lambda a: {"resource_id": a.resource_id},
         body=lambda a: {"fields": [{"name": "qymc", "type": "string",
                                     "constraints": {"required": True}}]},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/catalog/resources/{resource_id}/quality/assessments",
         Permission.CATALOG_EDIT, ok=(201,), params=lambda a: {"resource_id": a.resource_id},
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/quality/assessments", None,
         params=lambda a: {"resource_id": a.resource_id}),
    Rule("GET", "/api/v1/catalog/resources/{resource_id}/quality/assessments/{assessment_id}",
         None, params=lambda a: {"resource_id": a.resource_id,
                                 "assessment_id": a.assessment_id}),
    Rule("GET", "/api/v1/lineage/datasets/{dataset_id}", None, params=lineage.dataset),
    Rule("GET", "/api/v1/lineage/datasets/{dataset_id}/columns/{column}", None,
         params=lambda a: {**lineage.dataset(a), "column": "qymc"}),
    Rule("GET", "/api/v1/lineage/resources/{resource_id}", None,
         params=lambda a: {"resource_id": a.resource_id}),
    Rule("GET", "/api/v1/lineage/runs/{run_id}", None, params=lineage.run),
    Rule("GET", "/api/v1/lineage/runs/{run_id}/openlineage", None, params=lineage.run),
    Rule("GET", "/api/v1/ledger/checkpoint", None, params=lambda a: ledger.ready(a) and {}),
    Rule("GET", "/api/v1/ledger/checkpoints/{tree_size}", None,
         params=lambda a: {"tree_size": ledger.ready(a)["tree_size"]}),
    Rule("GET", "/api/v1/ledger/keys", None),
    Rule("GET", "/api/v1/ledger/entries/{index}", None,
         params=lambda a: {"index": ledger.ready(a)["index"]}),
    Rule("GET", "/api/v1/ledger/proofs/inclusion/{index}", None,
         params=lambda a: {"index": ledger.ready(a)["index"]}),
    Rule("GET", "/api/v1/ledger/proofs/leaf/{leaf_hash}", None,
         params=lambda a: {"leaf_hash": ledger.ready(a)["leaf_hash"]}),
    Rule("GET", "/api/v1/ledger/proofs/consistency/{first}/{second}", None,
         params=lambda a: {k: v for k, v in ledger.ready(a).items() if k in ("first", "second")}),
    Rule("POST", "/api/v1/ledger/cosignatures", Permission.LEDGER_WITNESS, ok=(201,),
         body=ledger.cosign_body, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/sharing/requests", Permission.SHARING_REQUEST, ok=(201,),
         body=sharing.request_body_for_caller),
    Rule("GET", "/api/v1/sharing/requests", Permission.SHARING_REQUEST),
    Rule("GET", "/api/v1/sharing/requests/{request_id}", Permission.SHARING_REQUEST,
         params=sharing.pending_request, out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/sharing/requests/{request_id}/decision", Permission.SHARING_DECIDE,
         params=sharing.pending_request, body=lambda a: {"outcome": "approve"},
         out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/sharing/requests/{request_id}/withdrawal", Permission.SHARING_REQUEST,
         params=sharing.pending_request, out_of_scope=frozenset({"admin_a", "admin_b"})),
    Rule("GET", "/api/v1/sharing/grants", Permission.SHARING_REQUEST),
    Rule("GET", "/api/v1/sharing/grants/{grant_id}", Permission.SHARING_REQUEST,
         params=sharing.grant, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/sharing/grants/{grant_id}/usage", Permission.SHARING_REQUEST,
         params=sharing.grant, out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/sharing/grants/{grant_id}/revocation", Permission.SHARING_DECIDE,
         params=sharing.grant, body=lambda a: {"reason": "项目结束"},
         out_of_scope=frozenset({"admin_b", "platform_admin"})),
    # Exchange calls are for consuming systems: an official, even an administrator holding every
    # permission, has no grant (tests/data/exchange proves the systems' side).
    Rule("GET", "/api/v1/exchange/grants", Permission.EXCHANGE_READ),
    Rule("POST", "/api/v1/exchange/resources/{resource_id}/query", Permission.EXCHANGE_READ,
         params=lambda a: {"resource_id": a.resource_id}, body=lambda a: {},
         out_of_scope=frozenset({"platform_admin"}), foreign="platform_admin"),
    Rule("POST", "/api/v1/exchange/resources/{resource_id}/export", Permission.EXCHANGE_READ,
         params=lambda a: {"resource_id": a.resource_id}, body=lambda a: {"format": "csv"},
         out_of_scope=frozenset({"platform_admin"}), foreign="platform_admin"),
    Rule("POST", "/api/v1/exchange/subscriptions", Permission.EXCHANGE_READ, ok=(201,),
         body=lambda a: {"resource_id": str(a.resource_id), "url": "https://example.com/h"},
         out_of_scope=frozenset({"platform_admin"})),
    Rule("GET", "/api/v1/exchange/subscriptions", Permission.EXCHANGE_READ),
    Rule("POST", "/api/v1/me/consents", Permission.CONSENTS_MANAGE, ok=(201,),
         body=lambda a: {"department_id": str(a.world.city_b_market.id),
                         "resource_ids": [str(a.resource_id)], "purpose": "办理企业开办"},
         out_of_scope=frozenset({"platform_admin"})),
    Rule("GET", "/api/v1/me/consents", Permission.CONSENTS_MANAGE,
         out_of_scope=frozenset({"platform_admin"})),
    # Public API keys: any signed-in account keeps its own; another's key does not exist for it.
    Rule("POST", "/api/v1/opendata/keys", Permission.PROFILE_READ, ok=(201,),
         body=lambda a: {"name": "研究项目"}),
    Rule("GET", "/api/v1/opendata/keys", Permission.PROFILE_READ),
    Rule("DELETE", "/api/v1/opendata/keys/{key_id}", Permission.PROFILE_READ,
         params=opendata.api_key,
         out_of_scope=frozenset({"citizen", "enterprise", "official_a", "approver_county_a",
                                 "admin_b", "leader_a", "platform_admin"})),
    Rule("POST", "/api/v1/me/consents/{consent_id}/withdrawal", Permission.CONSENTS_MANAGE,
         params=consents.given, out_of_scope=frozenset({"enterprise", "platform_admin"}),
         foreign="enterprise"),
    Rule("GET", "/api/v1/exchange/subscriptions/{subscription_id}/deliveries",
         Permission.EXCHANGE_READ, params=lambda a: {"subscription_id": uuid.uuid4()},
         out_of_scope=frozenset({"platform_admin"}), foreign="platform_admin"),
    Rule("DELETE", "/api/v1/exchange/subscriptions/{subscription_id}", Permission.EXCHANGE_READ,
         ok=(204,), params=lambda a: {"subscription_id": uuid.uuid4()},
         out_of_scope=frozenset({"platform_admin"}), foreign="platform_admin"),
    Rule("POST", "/api/v1/reservations/campaigns", Permission.RESERVATIONS_MANAGE, ok=(201,),
         body=reservations.campaign_body),
    Rule("GET", "/api/v1/reservations/campaigns/{campaign_id}", None,
         params=reservations.campaign),
    Rule("POST", "/api/v1/reservations/campaigns/{campaign_id}/close",
         Permission.RESERVATIONS_MANAGE, params=reservations.campaign,
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/reservations/campaigns/{campaign_id}/counts",
         Permission.RESERVATIONS_MANAGE, params=reservations.campaign,
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/reservations/campaigns/{campaign_id}/bookings",
         Permission.RESERVATIONS_BOOK, ok=(201,), params=reservations.campaign,
         body=reservations.slot_body, scoped=False),
    Rule("POST", "/api/v1/reservations/campaigns/{campaign_id}/registrations",
         Permission.RESERVATIONS_BOOK, ok=(201,), params=reservations.lottery,
         body=reservations.slot_body, scoped=False),
    Rule("POST", "/api/v1/reservations/campaigns/{campaign_id}/draw",
         Permission.RESERVATIONS_MANAGE, params=reservations.closed_lottery,
         out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/reservations/campaigns/{campaign_id}/draw", None,
         params=reservations.lottery),
    Rule("GET", "/api/v1/reservations/mine", Permission.RESERVATIONS_BOOK),
    Rule("GET", "/api/v1/reservations/mine/registrations", Permission.RESERVATIONS_BOOK),
    Rule("GET", "/api/v1/reservations/mine/{reservation_id}/qr.svg",
         Permission.RESERVATIONS_BOOK, params=reservations.own_reservation, scoped=False),
    Rule("POST", "/api/v1/reservations/redemptions", Permission.RESERVATIONS_REDEEM,
         body=reservations.code_body, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/reservations/keys", None),
    Rule("POST", "/api/v1/payments/orders", Permission.PAYMENTS_COLLECT, ok=(201,),
         body=payments.order_body),
    Rule("GET", "/api/v1/payments/orders", Permission.PAYMENTS_COLLECT),
    Rule("GET", "/api/v1/payments/orders/{order_id}", Permission.PAYMENTS_COLLECT,
         params=payments.pending, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/payments/orders/{order_id}/cancel", Permission.PAYMENTS_COLLECT,
         params=payments.pending, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/payments/orders/{order_id}/refunds", Permission.PAYMENTS_COLLECT,
         ok=(201,), params=payments.paid, body=lambda a: {"amount_fen": 1, "reason": "退费"},
         out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/payments/orders/{order_id}/refunds", Permission.PAYMENTS_COLLECT,
         params=payments.paid, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    # A payer's own orders: the matrix enterprise holds the permission but not the order.
    Rule("GET", "/api/v1/payments/mine", Permission.PAYMENTS_PAY),
    Rule("GET", "/api/v1/payments/mine/{order_id}", Permission.PAYMENTS_PAY,
         params=payments.pending, out_of_scope=frozenset({"enterprise"}), foreign="enterprise"),
    Rule("POST", "/api/v1/payments/mine/{order_id}/cancel", Permission.PAYMENTS_PAY,
         params=payments.pending, out_of_scope=frozenset({"enterprise"}), foreign="enterprise"),
    Rule("POST", "/api/v1/payments/mine/{order_id}/checkout", Permission.PAYMENTS_PAY,
         params=payments.pending, out_of_scope=frozenset({"enterprise"}), foreign="enterprise"),
    # The provider's callback is authenticated by its signature, not by a caller.
    Rule("POST", "/api/v1/payments/callbacks/{provider}", None,
         params=lambda a: {"provider": "sandbox"}, body=payments.callback_body),
    Rule("POST", "/api/v1/payments/reconciliations", Permission.PAYMENTS_RECONCILE,
         body=payments.today),
    Rule("GET", "/api/v1/payments/reconciliations/{day}", Permission.PAYMENTS_RECONCILE,
         params=payments.reconciled_day, scoped=False),
    Rule("GET", "/api/v1/licenses/types", None),
    Rule("GET", "/api/v1/licenses/mine", Permission.LICENSES_WALLET),
    Rule("GET", "/api/v1/licenses/mine/{license_id}/qr.svg", Permission.LICENSES_WALLET,
         params=licenses.own_license, scoped=False),
    Rule("POST", "/api/v1/licenses", Permission.LICENSES_ISSUE, ok=(201,),
         body=licenses.issue_body),
    Rule("GET", "/api/v1/licenses/issued", Permission.LICENSES_ISSUE),
    Rule("POST", "/api/v1/licenses/{license_id}/revoke", Permission.LICENSES_ISSUE,
         params=licenses.city_a_license, body=lambda a: {"reason": "吊销"},
         out_of_scope=frozenset({"admin_b", "approver_county_a", "platform_admin"})),
    Rule("POST", "/api/v1/licenses/verify", None, body=licenses.token_body),
    Rule("GET", "/api/v1/licenses/jwks", None),
    Rule("GET", "/api/v1/licenses/issuers/{department_id}/did.json", None,
         params=licenses.issuer),
    Rule("GET", "/api/v1/licenses/status/{department_id}", None, params=licenses.issuer),
    Rule("GET", "/api/v1/services/matters", None),
    Rule("GET", "/api/v1/services/matters/{code}", None,
         params=lambda a: services.matter(a) and {"code": "SW-001"}),
    Rule("GET", "/api/v1/services/search", None),
    Rule("GET", "/api/v1/services/bundles", None),
    Rule("GET", "/api/v1/services/bundles/{code}", None,
         params=lambda a: services.matter(a) and {"code": "YJS-CANYIN"}),
    Rule("POST", "/api/v1/services/documents", Permission.SERVICES_APPLY, ok=(201,),
         files=services.pdf),
    Rule("POST", "/api/v1/services/applications", Permission.SERVICES_APPLY, ok=(201,),
         body=services.apply_body),
    Rule("GET", "/api/v1/services/applications", Permission.SERVICES_APPLY),
    Rule("GET", "/api/v1/services/applications/{application_id}", Permission.SERVICES_APPLY,
         params=services.own_application,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("PUT", "/api/v1/services/applications/{application_id}", Permission.SERVICES_APPLY,
         params=services.returned_application, body=services.corrected_form,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("POST", "/api/v1/services/applications/{application_id}/fee",
         Permission.SERVICES_APPLY, ok=(201,), params=services.unpaid_application,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("GET", "/api/v1/services/tasks", Permission.SERVICES_APPROVE),
    Rule("POST", "/api/v1/services/tasks/{task_id}/complete", Permission.SERVICES_APPROVE,
         params=services.task, body=lambda a: {"outcome": "accept"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/services/tasks/{task_id}/transfer", Permission.SERVICES_APPROVE,
         params=services.task, body=lambda a: {"division_code": "330200"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/services/statistics", Permission.SERVICES_APPROVE),
    # Proactive services: department administrators keep their department's rules; residents
    # answer their own invitations.
    Rule("GET", "/api/v1/services/proactive/rules", Permission.SERVICES_MANAGE),
    Rule("POST", "/api/v1/services/proactive/rules", Permission.SERVICES_MANAGE, ok=(201,),
         body=proactive.rule_body),
    Rule("GET", "/api/v1/services/proactive/rules/{rule_id}", Permission.SERVICES_MANAGE,
         params=proactive.rule, out_of_scope=frozenset({"admin_b"})),
    Rule("PATCH", "/api/v1/services/proactive/rules/{rule_id}", Permission.SERVICES_MANAGE,
         params=proactive.rule, body=lambda a: {"name": "改名的规则"},
         out_of_scope=frozenset({"admin_b"})),
    Rule("POST", "/api/v1/services/proactive/rules/{rule_id}/evaluate",
         Permission.SERVICES_MANAGE, params=proactive.rule, out_of_scope=frozenset({"admin_b"})),
    Rule("GET", "/api/v1/services/invitations", Permission.SERVICES_APPLY),
    Rule("GET", "/api/v1/services/invitations/{invitation_id}", Permission.SERVICES_APPLY,
         params=proactive.invitation, out_of_scope=frozenset({"enterprise", "platform_admin"}),
         foreign="enterprise"),
    Rule("POST", "/api/v1/services/invitations/{invitation_id}/accept",
         Permission.SERVICES_APPLY, params=proactive.invitation, body=proactive.accept_body,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("POST", "/api/v1/services/invitations/{invitation_id}/decline",
         Permission.SERVICES_APPLY, params=proactive.invitation,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("GET", "/api/v1/govstack/registration/services", None),
    Rule("GET", "/api/v1/govstack/registration/services/{service_id}/eForms", None,
         params=services.matter),
    Rule("POST", "/api/v1/govstack/registration/services/{service_id}/applications",
         Permission.SERVICES_APPLY, ok=(201,), params=services.matter,
         body=services.govstack_apply_body, scoped=False),
    Rule("POST", "/api/v1/govstack/registration/documents", Permission.SERVICES_APPLY,
         ok=(201,), files=services.pdf),
    Rule("GET", "/api/v1/govstack/registration/applications", Permission.SERVICES_APPLY),
    Rule("GET", "/api/v1/govstack/registration/applications/{file_id}",
         Permission.SERVICES_APPLY, params=services.own_file,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("PUT", "/api/v1/govstack/registration/applications/{file_id}",
         Permission.SERVICES_APPLY, params=services.returned_file, body=services.corrected_file,
         out_of_scope=frozenset({"enterprise", "platform_admin"}), foreign="enterprise"),
    Rule("GET", "/api/v1/govstack/registration/tasks", Permission.SERVICES_APPROVE),
    Rule("POST", "/api/v1/govstack/registration/tasks/{task_id}/complete",
         Permission.SERVICES_APPROVE, params=services.task, body=lambda a: {"outcome": "accept"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/govstack/registration/data/statistics/1.0",
         Permission.SERVICES_APPROVE),
    # Open data requests: anyone submits and reads; only the addressed department replies.
    Rule("GET", "/api/v1/opendata/requests", None),
    Rule("POST", "/api/v1/opendata/requests", None, ok=(201,),
         body=lambda a: {"kind": "dataset", "title": "公交实时数据",
                         "body": "希望开放公交车辆的实时位置数据。",
                         "department_id": str(a.world.city_a_market.id)}),
    Rule("GET", "/api/v1/opendata/requests/{request_id}", None, params=opendata.data_request),
    Rule("POST", "/api/v1/opendata/requests/{request_id}/replies", Permission.OPENDATA_REPLY,
         ok=(201,), params=opendata.data_request,
         body=lambda a: {"body": "已列入明年开放计划，感谢建议。"},
         out_of_scope=frozenset({"admin_b", "platform_admin"})),
    # Releases: only the owning department's data officials (not another city's, nor the
    # platform administrator holding every permission); a published release is public.
    Rule("GET", "/api/v1/opendata/releases/suggestions/{dataset_version_id}",
         Permission.CATALOG_EDIT, params=opendata.release_version,
         out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/opendata/releases", Permission.CATALOG_EDIT, ok=(201,),
         body=opendata.release_request, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/opendata/releases/{release_id}", None,
         params=opendata.published_release),
    Rule("POST", "/api/v1/opendata/releases/{release_id}/publish", Permission.CATALOG_EDIT,
         params=opendata.computed_release, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/opendata/releases/{release_id}/withdraw", Permission.CATALOG_EDIT,
         params=opendata.computed_release, out_of_scope=frozenset({"admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/reservations/health/code", Permission.HEALTH_CODE),
    Rule("GET", "/api/v1/reservations/health/code/qr.svg", Permission.HEALTH_CODE),
    Rule("POST", "/api/v1/reservations/health/verify", Permission.HEALTH_VERIFY,
         body=health.token_body),
    Rule("GET", "/api/v1/reservations/health/jwks.json", None),
    Rule("GET", "/api/v1/reservations/health/rules", Permission.HEALTH_RULES),
    Rule("POST", "/api/v1/reservations/health/rules", Permission.HEALTH_RULES, ok=(201,),
         body=health.rule_body),
    Rule("GET", "/api/v1/reservations/health/rules/{rule_id}", Permission.HEALTH_RULES,
         params=health.rule, out_of_scope=frozenset({"admin_b"})),
    Rule("PATCH", "/api/v1/reservations/health/rules/{rule_id}", Permission.HEALTH_RULES,
         params=health.rule, body=lambda a: {"within_days": 7},
         out_of_scope=frozenset({"admin_b"})),
    Rule("DELETE", "/api/v1/reservations/health/rules/{rule_id}", Permission.HEALTH_RULES,
         ok=(204,), params=health.rule, out_of_scope=frozenset({"admin_b"})),
    # Ratings: applicants rate their own completed applications; the handling department works
    # its cases; administrators decide appeals in their subtree; statistics are public.
    Rule("POST", "/api/v1/ratings", Permission.SERVICES_APPLY, ok=(201,),
         body=ratings.rating_body, out_of_scope=frozenset({"enterprise", "platform_admin"}),
         scoped=False),
    Rule("GET", "/api/v1/ratings/mine", Permission.SERVICES_APPLY),
    Rule("GET", "/api/v1/ratings/statistics", None),
    Rule("GET", "/api/v1/ratings/cases", Permission.RATINGS_HANDLE),
    Rule("GET", "/api/v1/ratings/cases/{case_id}", Permission.RATINGS_HANDLE,
         params=ratings.open_case,
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/ratings/cases/{case_id}/return-visit", Permission.RATINGS_HANDLE,
         params=ratings.open_case, body=lambda a: {"contact_name": "张三", "notes": "已回访"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/ratings/cases/{case_id}/close", Permission.RATINGS_HANDLE,
         params=ratings.visited_case, body=lambda a: {"measures": "已整改"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("POST", "/api/v1/ratings/cases/{case_id}/appeal", Permission.RATINGS_HANDLE,
         params=ratings.open_case, body=lambda a: {"reason": "误评"},
         out_of_scope=frozenset({"approver_county_a", "admin_b", "platform_admin"})),
    Rule("GET", "/api/v1/ratings/appeals", Permission.RATINGS_DECIDE),
    Rule("POST", "/api/v1/ratings/cases/{case_id}/decision", Permission.RATINGS_DECIDE,
         params=ratings.appealed_case, body=lambda a: {"upheld": False, "reason": "评价属实"},
         out_of_scope=frozenset({"admin_b"})),
    # Notifications: every signed-in account reads and marks only its own.
    Rule("GET", "/api/v1/notifications", Permission.PROFILE_READ),
    Rule("POST", "/api/v1/notifications/read-all", Permission.PROFILE_READ),
    Rule("POST", "/api/v1/notifications/{notification_id}/read", Permission.PROFILE_READ,
         params=notifications.citizens_notification,
         out_of_scope=frozenset({"enterprise", "official_a", "approver_county_a", "admin_a",
                                 "admin_b", "leader_a", "platform_admin"})),
]  # fmt: skip


def _uscc(n: int) -> str:
    first = f"91330100MA{n:07d}"[:17]
    return first + uscc_check_char(first)


@pytest.fixture
def actors(session: Session, world: World, tmp_path: Path) -> Actors:
    citizen = service.register_citizen(
        session,
        data=CitizenRegister(
            username="matrix-citizen",
            password=PASSWORD,
            display_name="李四",
            id_number=make_id_number(),
        ),
    )
    enterprise = service.register_enterprise(
        session,
        data=EnterpriseRegister(
            username="matrix-enterprise",
            password=PASSWORD,
            display_name="杭州某科技有限公司",
            uscc=_uscc(4242),
        ),
    )
    resource = catalog_service.create_resource(
        session,
        principal=world.principal(world.city_a_admin),
        data=ResourceCreate(
            title="企业登记信息",
            update_frequency="daily",
            sharing_type="unconditional",
            opening_type="open",
        ),
    )
    source = tmp_path / "register.csv"
    source.write_text("qymc,zczb\n某公司,10\n", encoding="utf-8")
    ingest_service.ingest(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=source,
        filename=source.name,
    )
    database = tmp_path / "source.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE register (qymc TEXT, zczb INTEGER)")
        conn.execute("INSERT INTO register VALUES ('某公司', 10)")
    url = f"sqlite:///{database}"
    data_source = ingest_sources.register(
        session,
        principal=world.principal(world.city_a_admin),
        data=DataSourceCreate(name="登记库", url=url),
    )
    bad = tmp_path / "ragged.csv"
    bad.write_bytes(b"a,b\n1,2,3\n")
    job = ingest_jobs.stage_file(
        session,
        principal=world.principal(world.city_a_admin),
        resource_id=resource.id,
        source=bad,
        filename=bad.name,
    )
    ingest_runner.run(job.id)
    assessment = session.scalars(
        select(QualityAssessment).where(QualityAssessment.resource_id == resource.id)
    ).one()
    return Actors(
        world=world,
        citizen=citizen,
        enterprise=enterprise,
        resource_id=resource.id,
        source_id=data_source.id,
        source_url=url,
        job_id=job.id,
        assessment_id=assessment.id,
    )


def _operations(app: FastAPI) -> set[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return {
        (method.upper(), path)
        for path, item in paths.items()
        if path.startswith("/api/v1/")
        for method in item
    }


def test_every_api_route_is_in_the_matrix(app: FastAPI) -> None:
    declared = {(rule.method, rule.path) for rule in RULES}
    assert _operations(app) == declared


# Routes outside /api/v1 follow protocol-defined access rules (OAuth 2, OIDC, probes); each is
# listed with its rule and the test module that proves it.
OTHER_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public probe; tests/core/test_app.py",
    ("GET", "/readyz"): "public probe; tests/core/test_app.py",
    ("GET", "/metrics"): "public to the scraper; tests/core/test_app.py",
    ("GET", "/.well-known/openid-configuration"): "public; tests/identity/test_oidc.py",
    ("GET", "/.well-known/jwks.json"): "public; tests/identity/test_oidc.py",
    ("GET", "/oauth/authorize"): "browser session; tests/identity/test_oidc.py",
    ("POST", "/oauth/token"): "client authentication; tests/identity/test_oidc.py",
    ("GET", "/oauth/userinfo"): "bearer token with openid scope; tests/identity/test_oidc.py",
    ("POST", "/oauth/userinfo"): "bearer token with openid scope; tests/identity/test_oidc.py",
    ("GET", "/catalog.{syntax}"): "public DCAT-AP; tests/data/opendata/test_dcat.py",
    ("GET", "/dataset/{key}.{syntax}"): "public DCAT-AP; tests/data/opendata/test_dcat.py",
    ("GET", "/dataset/{id_or_name}/download/{fmt}"): "public datasets only; "
    "tests/data/opendata/test_datastore.py",
    ("GET", "/api/opendata/download/{version_id}.{fmt}"): "public datasets only; "
    "tests/data/opendata/test_ckan_errors.py",
    ("GET", "/api/opendata/datasets/{id_or_name}/usage"): "public datasets only; "
    "tests/data/opendata/test_ckan_errors.py",
}


def test_every_route_outside_the_api_declares_its_rule(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    others = {
        (method.upper(), path)
        for path, item in paths.items()
        if not path.startswith("/api/v1/")
        for method in item
    }
    assert others == set(OTHER_ROUTES)


def _expected(rule: Rule, name: str, account: Account | None) -> set[int]:
    if rule.permission is None:
        return set(rule.ok)
    if account is None:
        return {401}
    allowed = any(rule.permission in _permissions(role) for role in account.roles)
    if not allowed:
        return {403}
    if name in rule.out_of_scope:
        return {404}
    return set(rule.ok)


def _permissions(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.method} {r.path}")
def test_route_admits_exactly_the_right_actors(
    rule: Rule,
    actors: Actors,
    client: TestClient,
    login: Callable[[Account], dict[str, str]],
) -> None:
    failures = []
    for name, account in actors.by_name().items():
        actors.current = name
        headers = login(account) if account is not None else {}
        url = rule.path.format(**{k: str(v) for k, v in rule.params(actors).items()})
        body = rule.body(actors) if rule.body else None
        files = rule.files(actors) if rule.files else None
        response = client.request(rule.method, url, headers=headers, json=body, files=files)
        expected = _expected(rule, name, account)
        if response.status_code not in expected:
            failures.append(f"{name}: {response.status_code} not in {expected}: {response.text}")
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if "{" in r.path and r.permission is not None and r.scoped],
    ids=lambda r: f"{r.method} {r.path}",
)
def test_missing_and_foreign_objects_look_the_same(
    rule: Rule,
    actors: Actors,
    client: TestClient,
    login: Callable[[Account], dict[str, str]],
) -> None:
    """An out-of-scope object answers exactly like one that does not exist."""
    viewer = actors.by_name()[rule.foreign]
    assert viewer is not None
    headers = login(viewer)
    real = rule.path.format(**{k: str(v) for k, v in rule.params(actors).items()})
    missing = rule.path.format(**{k: str(uuid.uuid4()) for k in rule.params(actors)})
    body = rule.body(actors) if rule.body else None
    files = rule.files(actors) if rule.files else None
    foreign = client.request(rule.method, real, headers=headers, json=body, files=files)
    absent = client.request(rule.method, missing, headers=headers, json=body, files=files)
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json()["detail"] == absent.json()["detail"]
