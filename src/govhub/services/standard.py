"""The standard catalog: realistic service matters across department types and three
"one thing, one visit" bundles, loaded by `catalog.load_standard` (demo and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govhub.identity.models import DepartmentType as D
from govhub.services.models import OnlineDepth as O

PHONE = {"type": "string", "pattern": r"^1\d{10}$", "title": "联系电话"}
NAME = {"type": "string", "minLength": 2, "maxLength": 50, "title": "申请人姓名"}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
ADDRESS = {**TEXT, "title": "地址"}
AREA = {"type": "number", "exclusiveMinimum": 0, "maximum": 100000, "title": "面积（平方米）"}
DATE = {"type": "string", "format": "date", "title": "日期"}


def form(**fields: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON Schema of a form: applicant, phone and `fields`, all required."""
    properties: dict[str, Any] = {"applicant_name": NAME, "phone": PHONE, **fields}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def mat(
    code: str,
    name: str,
    *,
    required: bool = True,
    license_type: str | None = None,
    resource: str | None = None,
) -> dict[str, Any]:
    """Return a required material; linked ones are fetched, never uploaded (once-only)."""
    item: dict[str, Any] = {"code": code, "name": name, "required": required}
    if license_type:
        item["license_type"] = license_type
    if resource:
        item["resource"] = resource
    return item


ID_CARD = mat("id_card", "居民身份证", license_type="resident_id_card")
BIZ_LICENSE = mat("business_license", "营业执照", license_type="business_license")
HOUSEHOLD = mat("household", "居民户口簿", resource="户籍人口基本信息")


@dataclass(frozen=True)
class StandardMatter:
    """One matter of the standard catalog."""

    code: str
    name_zh: str
    name_en: str
    department_type: D
    legal_basis: str
    conditions: str
    keywords: str
    materials: list[dict[str, Any]]
    statutory_days: int
    promised_days: int
    online_depth: O
    form_schema: dict[str, Any]
    fee_fen: int = 0
    process_key: str = "matter_review"
    promised_hours: int | None = None  # a limit in hours instead of `promised_days`
    extra: dict[str, Any] = field(default_factory=dict)


M = StandardMatter
MATTERS: tuple[StandardMatter, ...] = (
    M("SC-001", "个体工商户设立登记", "Registration of an individual business", D.MARKET_REGULATION,
      "《促进个体工商户发展条例》第八条", "经营者具有完全民事行为能力；经营场所合法",
      "开店 个体户 营业执照 登记 设立", [ID_CARD, mat("premises", "经营场所使用证明")],
      15, 1, O.FULLY_ONLINE, form(business_name=TEXT, address=ADDRESS, scope=TEXT)),
    M("SC-002", "有限责任公司设立登记", "Incorporation of a limited company", D.MARKET_REGULATION,
      "《中华人民共和国公司法》第二十九条；《市场主体登记管理条例》",
      "股东符合法定人数；有公司章程",
      "开办企业 公司 注册 营业执照 设立", [ID_CARD, mat("articles", "公司章程"),
                                     mat("premises", "住所使用证明")],
      15, 1, O.FULLY_ONLINE, form(company_name=TEXT, address=ADDRESS, capital_wan=AREA)),
    M("SC-003", "食品经营许可", "Food business permit", D.MARKET_REGULATION,
      "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》",
      "具有与经营的食品品种、数量相适应的场所和设备；有食品安全管理人员",
      "餐饮 饭店 餐馆 食品 许可证 开店", [BIZ_LICENSE, mat("layout", "经营场所平面布局图"),
                                     mat("food_safety", "食品安全管理制度")],
      20, 10, O.ONE_VISIT, form(business_name=TEXT, address=ADDRESS, area=AREA)),
    M("SC-004", "营业执照变更登记", "Change of business registration", D.MARKET_REGULATION,
      "《市场主体登记管理条例》第二十四条", "登记事项发生变更", "变更 营业执照 地址 法定代表人",
      [BIZ_LICENSE, mat("resolution", "变更决议")], 15, 3, O.FULLY_ONLINE,
      form(change=TEXT)),
    M("SC-005", "企业注销登记", "Deregistration of an enterprise", D.MARKET_REGULATION,
      "《市场主体登记管理条例》第三十一条", "已清算完毕，无未结清债务", "注销 关闭 公司 歇业",
      [BIZ_LICENSE, mat("liquidation", "清算报告")], 20, 5, O.FULLY_ONLINE, form(reason=TEXT)),
    M("SW-001", "发票领用", "Invoice issuance", D.TAXATION,
      "《中华人民共和国发票管理办法》第十五条",
      "已办理税务信息确认", "发票 领票 税务 开票", [BIZ_LICENSE], 5, 1, O.FULLY_ONLINE,
      form(quantity={"type": "integer", "minimum": 1, "maximum": 1000})),
    M("SW-002", "个人所得税综合所得汇算清缴", "Annual individual income tax settlement",
      D.TAXATION, "《中华人民共和国个人所得税法》第十一条", "取得综合所得且需补税或退税",
      "个税 退税 汇算 所得税", [ID_CARD], 30, 15, O.FULLY_ONLINE,
      form(year={"type": "integer", "minimum": 2019, "maximum": 2100})),
    M("SW-003", "税务登记信息确认", "Confirmation of tax registration", D.TAXATION,
      "《中华人民共和国税收征收管理法》第十五条", "已领取营业执照", "税务登记 报到 开办企业",
      [BIZ_LICENSE], 5, 1, O.FULLY_ONLINE, form(accountant=NAME)),
    M("SW-004", "契税申报", "Deed tax filing", D.TAXATION, "《中华人民共和国契税法》第九条",
      "承受土地、房屋权属", "买房 契税 房产 购房 税", [ID_CARD, mat("contract", "房屋买卖合同")],
      10, 1, O.ONE_VISIT, form(address=ADDRESS, price_yuan=AREA)),
    M("GA-001", "户口迁移（市内）", "Household registration transfer within the city",
      D.PUBLIC_SECURITY, "《中华人民共和国户口登记条例》第十条", "在迁入地有合法稳定住所",
      "户口 迁移 落户 买房 入户", [ID_CARD, HOUSEHOLD, mat("housing", "房屋产权证明",
                                                      license_type="real_estate_certificate")],
      20, 5, O.ONE_VISIT, form(address=ADDRESS)),
    M("GA-002", "新生儿出生登记", "Registration of a newborn", D.PUBLIC_SECURITY,
      "《中华人民共和国户口登记条例》第七条", "婴儿出生后一个月以内申报",
      "出生 生孩子 新生儿 上户口",
      [HOUSEHOLD, mat("birth_certificate", "出生医学证明", license_type="birth_certificate")],
      10, 1, O.ONE_VISIT, form(child_name=NAME, birth_date=DATE)),
    M("GA-003", "居民身份证换领", "Renewal of the resident ID card", D.PUBLIC_SECURITY,
      "《中华人民共和国居民身份证法》第十一条", "身份证有效期满或损坏", "身份证 换证 补证 到期",
      [HOUSEHOLD], 60, 15, O.ONE_VISIT, form(reason=TEXT), fee_fen=2000),
    M("GA-004", "公众聚集场所投入使用、营业前消防安全检查", "Fire safety inspection before opening",
      D.PUBLIC_SECURITY, "《中华人民共和国消防法》第十五条", "场所符合消防技术标准",
      "消防 安全检查 餐饮 开业 开店", [BIZ_LICENSE, mat("fire_plan", "消防安全制度及疏散预案")],
      10, 5, O.ONE_VISIT, form(address=ADDRESS, area=AREA)),
    M("GA-005", "机动车驾驶证换证", "Renewal of a driving licence", D.PUBLIC_SECURITY,
      "《机动车驾驶证申领和使用规定》第六十一条", "驾驶证有效期满前九十日内",
      "驾照 驾驶证 换证 到期",
      [ID_CARD, mat("health", "身体条件证明")], 5, 1, O.FULLY_ONLINE, form(license_no=TEXT),
      fee_fen=1000),
    M("MZ-001", "结婚登记", "Marriage registration", D.CIVIL_AFFAIRS,
      "《中华人民共和国民法典》第一千零四十九条", "男女双方自愿、达到法定婚龄",
      "结婚 领证 婚姻 登记", [ID_CARD, HOUSEHOLD], 1, 1, O.ONE_VISIT,
      form(partner_name=NAME, date=DATE)),
    M("MZ-002", "最低生活保障申请", "Minimum living allowance", D.CIVIL_AFFAIRS,
      "《社会救助暂行办法》第九条", "家庭人均收入低于当地低保标准", "低保 救助 困难 补贴",
      [ID_CARD, HOUSEHOLD, mat("income", "家庭收入证明")], 30, 20, O.ONLINE_APPLY,
      form(members={"type": "integer", "minimum": 1, "maximum": 20})),
    M("MZ-003", "社会组织成立登记", "Registration of a social organisation", D.CIVIL_AFFAIRS,
      "《社会团体登记管理条例》第九条", "有50个以上个人会员", "社团 协会 社会组织 成立",
      [mat("charter", "章程草案"), mat("members", "会员名单")], 60, 30, O.ONLINE_APPLY,
      form(org_name=TEXT)),
    M("MZ-004", "高龄津贴申请", "Old-age allowance", D.CIVIL_AFFAIRS, "地方高龄津贴制度",
      "年满80周岁的户籍老年人", "老人 养老 津贴 高龄", [ID_CARD, HOUSEHOLD], 20, 10,
      O.FULLY_ONLINE, form(bank_account=TEXT)),
    M("WS-001", "出生医学证明首次签发", "Issue of a birth medical certificate", D.HEALTH,
      "《中华人民共和国母婴保健法》第二十三条", "在医疗机构分娩的新生儿",
      "出生证明 生孩子 新生儿 医院",
      [ID_CARD], 5, 1, O.ONE_VISIT, form(child_name=NAME, birth_date=DATE)),
    M("WS-002", "生育登记", "Birth registration with the health commission", D.HEALTH,
      "《中华人民共和国人口与计划生育法》", "夫妻生育子女", "生育 登记 生孩子 怀孕",
      [ID_CARD, HOUSEHOLD], 5, 1, O.FULLY_ONLINE, form(expected_date=DATE)),
    M("WS-003", "公共场所卫生许可", "Public-place hygiene permit", D.HEALTH,
      "《公共场所卫生管理条例》第八条", "场所符合卫生标准", "卫生许可 理发 宾馆 公共场所",
      [BIZ_LICENSE, mat("hygiene", "卫生检测报告")], 20, 10, O.ONE_VISIT,
      form(address=ADDRESS, area=AREA)),
    M("WS-004", "医师执业注册", "Physician practice registration", D.HEALTH,
      "《中华人民共和国医师法》第十三条", "取得医师资格", "医生 执业 注册 医师",
      [ID_CARD, mat("qualification", "医师资格证书", license_type="physician_qualification")],
      20, 10, O.FULLY_ONLINE, form(hospital=TEXT)),
    M("WS-005", "育儿补贴申领", "Childcare subsidy", D.HEALTH,
      "《育儿补贴制度实施方案》", "三周岁以下婴幼儿的父母（监护人）",
      "育儿补贴 生孩子 新生儿 婴儿 补贴 托育",
      [HOUSEHOLD, mat("birth_certificate", "出生医学证明", license_type="birth_certificate")],
      20, 10, O.FULLY_ONLINE,
      form(child_name=NAME, birth_date=DATE, birth_cert_no=TEXT, bank_account=TEXT)),
    M("HB-001", "建设项目环境影响报告表审批", "Approval of an environmental impact report",
      D.ECOLOGY_ENVIRONMENT, "《中华人民共和国环境影响评价法》第二十二条", "项目符合规划和排放标准",
      "环评 环境影响 建设项目 审批", [BIZ_LICENSE, mat("eia_report", "环境影响报告表")],
      30, 15, O.ONLINE_APPLY, form(project=TEXT, address=ADDRESS)),
    M("HB-002", "排污许可证申领", "Pollutant discharge permit", D.ECOLOGY_ENVIRONMENT,
      "《排污许可管理条例》第八条", "排污单位依法取得环评批复", "排污 许可 污染 环保",
      [BIZ_LICENSE, mat("monitoring", "自行监测方案")], 30, 20, O.ONLINE_APPLY,
      form(facility=TEXT)),
    M("HB-003", "餐饮油烟排放登记", "Registration of restaurant fume emissions",
      D.ECOLOGY_ENVIRONMENT, "《中华人民共和国大气污染防治法》第八十一条", "安装油烟净化设施",
      "餐饮 油烟 饭店 环保", [BIZ_LICENSE], 10, 5, O.FULLY_ONLINE, form(address=ADDRESS)),
    M("RS-001", "失业保险金申领", "Unemployment benefit", D.HUMAN_RESOURCES_SOCIAL_SECURITY,
      "《失业保险条例》第十四条", "非本人意愿中断就业且已缴费满一年", "失业 保险金 社保 失业金",
      [ID_CARD, mat("termination", "解除劳动合同证明")], 15, 5, O.FULLY_ONLINE,
      form(bank_account=TEXT)),
    M("RS-002", "社会保障卡申领", "Social security card", D.HUMAN_RESOURCES_SOCIAL_SECURITY,
      "《社会保障卡管理办法》", "参加社会保险的人员", "社保卡 社会保障 医保 新生儿",
      [ID_CARD], 20, 5, O.FULLY_ONLINE, form(address=ADDRESS)),
    M("RS-003", "生育津贴申领", "Maternity allowance", D.HUMAN_RESOURCES_SOCIAL_SECURITY,
      "《中华人民共和国社会保险法》第五十六条", "参加生育保险的职工生育",
      "生育津贴 生孩子 产假 补贴",
      [ID_CARD, mat("birth_certificate", "出生医学证明", license_type="birth_certificate")],
      20, 10, O.FULLY_ONLINE, form(employer=TEXT)),
    M("RS-004", "职业技能等级证书查询", "Vocational skill certificate",
      D.HUMAN_RESOURCES_SOCIAL_SECURITY,
      "《国家职业资格目录》", "已通过职业技能等级认定", "技能 证书 职业 等级", [ID_CARD], 10, 3,
      O.INFORMATION, form(occupation=TEXT)),
    M("ZF-001", "户外招牌设置备案", "Signboard registration", D.OTHER,
      "《城市市容和环境卫生管理条例》第十一条", "招牌设置符合规划", "招牌 店招 广告 开店 餐饮",
      [BIZ_LICENSE, mat("design", "招牌设计效果图")], 10, 3, O.FULLY_ONLINE,
      form(address=ADDRESS, size_m2=AREA)),
    M("ZF-002", "不动产转移登记", "Transfer registration of real estate", D.OTHER,
      "《不动产登记暂行条例》第十四条", "房屋买卖合同已网签、税费已缴纳",
      "买房 过户 房产证 不动产 购房",
      [ID_CARD, mat("contract", "房屋买卖合同"),
       mat("housing", "不动产权证书", license_type="real_estate_certificate")],
      30, 5, O.ONE_VISIT, form(address=ADDRESS, area=AREA), fee_fen=8000),
    M("ZF-003", "住房公积金提取（购房）", "Housing fund withdrawal for a purchase", D.OTHER,
      "《住房公积金管理条例》第二十四条", "购买自住住房", "公积金 提取 买房 购房",
      [ID_CARD, mat("contract", "房屋买卖合同")], 5, 3, O.FULLY_ONLINE,
      form(bank_account=TEXT)),
    M("ZF-004", "政府信息公开申请", "Request for government information", D.GOVERNMENT_OFFICE,
      "《中华人民共和国政府信息公开条例》第二十七条", "申请内容明确", "信息公开 政府信息 申请",
      [], 20, 15, O.FULLY_ONLINE, form(request=TEXT)),
    M("ZF-005", "水电气报装", "Water, power and gas connection", D.OTHER, "营商环境优化条例",
      "有合法用能场所", "用水 用电 燃气 报装 开店", [BIZ_LICENSE], 10, 3, O.FULLY_ONLINE,
      form(address=ADDRESS)),
)  # fmt: skip


@dataclass(frozen=True)
class StandardBundle:
    """One "one thing, one visit" bundle."""

    code: str
    name_zh: str
    name_en: str
    description: str
    matter_codes: tuple[str, ...]


BUNDLES: tuple[StandardBundle, ...] = (
    StandardBundle("YJS-CANYIN", "我要开餐馆", "Open a restaurant",
                   "营业执照、食品经营许可、消防安全检查、招牌设置一次办",
                   ("SC-001", "SC-003", "GA-004", "ZF-001")),
    StandardBundle("YJS-CHUSHENG", "我要生孩子", "Have a baby",
                   "出生医学证明、出生登记、社保卡、生育津贴一次办",
                   ("WS-001", "GA-002", "RS-002", "RS-003")),
    StandardBundle("YJS-GOUFANG", "我要买房", "Buy a home",
                   "契税、不动产转移登记、户口迁移、公积金提取一次办",
                   ("SW-004", "ZF-002", "GA-001", "ZF-003")),
)  # fmt: skip
