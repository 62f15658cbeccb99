"""Data standards (the element dictionary, with the shipped elements) and the resource catalog.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:20:45.189461
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The platform-wide data elements shipped with this revision (govhub.data.standards.builtin);
# a frozen copy, so later changes to the shipped list come with a migration of their own.
SHIPPED_ELEMENTS: list[dict[str, Any]] = [
    {
        "code": "id_number",
        "name": "公民身份号码",
        "name_en": "Resident ID number",
        "data_type": "string",
        "max_length": 18,
        "pattern": None,
        "allowed_values": None,
        "validator": "id_number",
        "synonyms": [
            "身份证号",
            "身份证号码",
            "身份证",
            "公民身份号码",
            "证件号码",
            "sfzh",
            "sfzhm",
            "zjhm",
            "id_number",
            "id_no",
            "idcard",
            "id_card",
            "resident_id",
        ],
        "description": "GB 11643-1999: 18 characters, ISO 7064 MOD 11-2 check digit.",
    },
    {
        "code": "uscc",
        "name": "统一社会信用代码",
        "name_en": "Unified social credit code",
        "data_type": "string",
        "max_length": 18,
        "pattern": None,
        "allowed_values": None,
        "validator": "uscc",
        "synonyms": [
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "tyshxydm",
            "shxydm",
            "xydm",
            "uscc",
            "credit_code",
            "social_credit_code",
            "unified_social_credit_code",
        ],
        "description": "GB 32100-2015: 18 characters, MOD 31 check character.",
    },
    {
        "code": "division_code",
        "name": "行政区划代码",
        "name_en": "Administrative division code",
        "data_type": "code",
        "max_length": 12,
        "pattern": None,
        "allowed_values": None,
        "validator": "division_code",
        "synonyms": [
            "行政区划代码",
            "区划代码",
            "行政区划",
            "xzqhdm",
            "qhdm",
            "xzqh",
            "division_code",
            "admin_code",
            "region_code",
            "area_code",
            "adcode",
        ],
        "description": "GB/T 2260 down to villages; the code must exist on the platform.",
    },
    {
        "code": "mobile",
        "name": "移动电话号码",
        "name_en": "Mobile phone number",
        "data_type": "string",
        "max_length": 11,
        "pattern": None,
        "allowed_values": None,
        "validator": "mobile",
        "synonyms": [
            "手机号",
            "手机号码",
            "移动电话",
            "联系电话",
            "sjhm",
            "sjh",
            "lxdh",
            "mobile",
            "phone",
            "mobile_phone",
            "cellphone",
            "tel",
        ],
        "description": "Eleven digits starting 13 to 19.",
    },
    {
        "code": "landline",
        "name": "固定电话号码",
        "name_en": "Landline phone number",
        "data_type": "string",
        "max_length": 20,
        "pattern": None,
        "allowed_values": None,
        "validator": "landline",
        "synonyms": [
            "固定电话",
            "座机",
            "办公电话",
            "gddh",
            "bgdh",
            "landline",
            "telephone",
            "office_phone",
        ],
        "description": "Area code from 0, optional hyphen, 7 or 8 digits, optional extension.",
    },
    {
        "code": "postal_code",
        "name": "邮政编码",
        "name_en": "Postal code",
        "data_type": "string",
        "max_length": 6,
        "pattern": None,
        "allowed_values": None,
        "validator": "postal_code",
        "synonyms": [
            "邮政编码",
            "邮编",
            "yzbm",
            "yb",
            "postal_code",
            "postcode",
            "zip",
            "zip_code",
        ],
        "description": "Six digits.",
    },
    {
        "code": "gender_code",
        "name": "性别代码",
        "name_en": "Gender code",
        "data_type": "code",
        "max_length": 1,
        "pattern": None,
        "allowed_values": ["0", "1", "2", "9"],
        "validator": "gender_code",
        "synonyms": ["性别", "性别代码", "xb", "xbdm", "gender", "sex", "gender_code"],
        "description": "GB/T 2261.1-2003: 0 unknown, 1 male, 2 female, 9 unspecified.",
    },
    {
        "code": "date",
        "name": "日期",
        "name_en": "Date",
        "data_type": "date",
        "max_length": 10,
        "pattern": None,
        "allowed_values": None,
        "validator": "date",
        "synonyms": [
            "日期",
            "出生日期",
            "成立日期",
            "登记日期",
            "rq",
            "csrq",
            "clrq",
            "djrq",
            "date",
            "birth_date",
            "birthday",
            "established_on",
            "registered_on",
        ],
        "description": "GB/T 7408: YYYY-MM-DD or YYYYMMDD, a real calendar date.",
    },
    {
        "code": "datetime",
        "name": "日期时间",
        "name_en": "Date and time",
        "data_type": "datetime",
        "max_length": 35,
        "pattern": None,
        "allowed_values": None,
        "validator": "datetime",
        "synonyms": [
            "日期时间",
            "时间",
            "更新时间",
            "创建时间",
            "sj",
            "gxsj",
            "cjsj",
            "datetime",
            "timestamp",
            "updated_at",
            "created_at",
        ],
        "description": "ISO 8601 date and time; a space may separate date and time.",
    },
    {
        "code": "chinese_name",
        "name": "中文姓名",
        "name_en": "Name in Chinese",
        "data_type": "string",
        "max_length": 40,
        "pattern": None,
        "allowed_values": None,
        "validator": "chinese_name",
        "synonyms": [
            "姓名",
            "名字",
            "法定代表人",
            "法人代表",
            "联系人",
            "xm",
            "fddbr",
            "lxr",
            "name",
            "full_name",
            "person_name",
            "legal_representative",
        ],
        "description": "Hanzi; a middle dot joins the parts of a transliterated name.",
    },
    {
        "code": "email",
        "name": "电子邮箱",
        "name_en": "E-mail address",
        "data_type": "string",
        "max_length": 254,
        "pattern": None,
        "allowed_values": None,
        "validator": "email",
        "synonyms": ["电子邮箱", "邮箱", "电子邮件", "dzyx", "yx", "email", "e_mail", "mail"],
        "description": "An address with a local part, @ and a domain.",
    },
    {
        "code": "amount",
        "name": "金额",
        "name_en": "Amount",
        "data_type": "decimal",
        "max_length": 20,
        "pattern": None,
        "allowed_values": None,
        "validator": "amount",
        "synonyms": [
            "金额",
            "注册资本",
            "税额",
            "费用",
            "je",
            "zczb",
            "se",
            "amount",
            "registered_capital",
            "tax_amount",
            "fee",
        ],
        "description": "An amount in yuan with at most two decimals.",
    },
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "data_elements",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column(
            "data_type",
            sa.Enum(
                "string",
                "integer",
                "decimal",
                "boolean",
                "date",
                "datetime",
                "code",
                name="element_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("allowed_values", sa.JSON(), nullable=True),
        sa.Column("validator", sa.String(length=64), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_data_elements_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_data_elements")),
    )
    with op.batch_alter_table("data_elements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_elements_department_id"), ["department_id"], unique=False
        )

    op.create_table(
        "catalog_resources",
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("description_en", sa.String(length=4000), nullable=False),
        sa.Column(
            "update_frequency",
            sa.Enum(
                "real_time",
                "daily",
                "weekly",
                "monthly",
                "quarterly",
                "annual",
                "irregular",
                "never",
                name="update_frequency",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("division_codes", sa.JSON(), nullable=False),
        sa.Column(
            "sharing_type",
            sa.Enum(
                "unconditional",
                "conditional",
                "not_shared",
                name="sharing_type",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sharing_conditions", sa.String(length=1000), nullable=False),
        sa.Column(
            "opening_type",
            sa.Enum(
                "open", "conditional", "not_open", name="opening_type", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("opening_conditions", sa.String(length=1000), nullable=False),
        sa.Column(
            "security_class",
            sa.Enum(
                "core", "important", "general", name="security_class", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "sensitivity",
            sa.Enum(
                "public",
                "internal",
                "sensitive",
                "highly_sensitive",
                name="sensitivity",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("license", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("quality_grade", sa.String(length=8), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_catalog_resources_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_catalog_resources_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_resources")),
        sa.UniqueConstraint("identifier", name=op.f("uq_catalog_resources_identifier")),
    )
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_opening_type"), ["opening_type"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_quality_grade"), ["quality_grade"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_resources_sharing_type"), ["sharing_type"], unique=False
        )

    op.create_table(
        "catalog_resource_themes",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column(
            "theme",
            sa.Enum(
                "economy",
                "market",
                "taxation",
                "population",
                "social_security",
                "health",
                "education",
                "transport",
                "environment",
                "credit",
                "public_safety",
                "urban",
                "agriculture",
                "government",
                name="theme",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_resource_themes_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "theme", name=op.f("pk_catalog_resource_themes")),
    )
    with op.batch_alter_table("catalog_resource_themes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_resource_themes_theme"), ["theme"], unique=False
        )

    op.create_table(
        "catalog_resource_versions",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_catalog_resource_versions_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_resource_versions_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "resource_id", "version", name=op.f("pk_catalog_resource_versions")
        ),
    )
    op.create_table(
        "catalog_search_terms",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_catalog_search_terms_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "term", name=op.f("pk_catalog_search_terms")),
    )
    with op.batch_alter_table("catalog_search_terms", schema=None) as batch_op:
        batch_op.create_index("ix_catalog_search_terms_term", ["term"], unique=False)

    op.create_table(
        "data_dataset_versions",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["accounts.id"],
            name=op.f("fk_data_dataset_versions_created_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["catalog_resources.id"],
            name=op.f("fk_data_dataset_versions_resource_id_catalog_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_dataset_versions")),
        sa.UniqueConstraint(
            "resource_id", "version", name=op.f("uq_data_dataset_versions_resource_id_version")
        ),
    )
    with op.batch_alter_table("data_dataset_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_dataset_versions_resource_id"), ["resource_id"], unique=False
        )

    elements = sa.table(
        "data_elements",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("name_en", sa.String),
        sa.column("data_type", sa.String),
        sa.column("max_length", sa.Integer),
        sa.column("pattern", sa.String),
        sa.column("allowed_values", sa.JSON),
        sa.column("validator", sa.String),
        sa.column("synonyms", sa.JSON),
        sa.column("description", sa.String),
        sa.column("department_id", sa.Uuid),
        sa.column("is_builtin", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    shipped_at = datetime(2026, 11, 23, tzinfo=UTC)
    op.bulk_insert(
        elements,
        [
            {
                **row,
                "department_id": None,
                "is_builtin": True,
                "created_at": shipped_at,
                "updated_at": shipped_at,
            }
            for row in SHIPPED_ELEMENTS
        ],
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("data_dataset_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_dataset_versions_resource_id"))

    op.drop_table("data_dataset_versions")
    with op.batch_alter_table("catalog_search_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_search_terms_term")

    op.drop_table("catalog_search_terms")
    op.drop_table("catalog_resource_versions")
    with op.batch_alter_table("catalog_resource_themes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resource_themes_theme"))

    op.drop_table("catalog_resource_themes")
    with op.batch_alter_table("catalog_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_resources_sharing_type"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_quality_grade"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_opening_type"))
        batch_op.drop_index(batch_op.f("ix_catalog_resources_department_id"))

    op.drop_table("catalog_resources")
    with op.batch_alter_table("data_elements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_elements_department_id"))

    op.drop_table("data_elements")
    # ### end Alembic commands ###
