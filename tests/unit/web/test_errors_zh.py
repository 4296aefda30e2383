"""Pages in Chinese show the services' English refusals in Chinese (``web/errors_zh.py``).

Besides examples of each capability, a scan of the source finds every literal message the services
raise (the string or f-string given to an error class, ``Problem``, a ``reason`` helper or an access
``Decision``) and checks that it has a Chinese pattern: a new English message without one fails here.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

import moralbank
from moralbank.auth.domain import Role
from moralbank.errors import InvalidInput, Problem
from moralbank.evaluation.domain import State
from moralbank.orgs.domain import _CODE_FORM_TEXT, LEVELS
from moralbank.policy.domain import Period
from moralbank.residents.domain import CONSENT_KINDS, CORRECTABLE
from moralbank.web import errors_zh
from moralbank.web.errors_zh import known_wording, translate
from moralbank.web.i18n import error_text

SRC = Path(moralbank.__file__).parent
# Messages never shown on a page, left in English on purpose: the CLI's own, the demo builder's, and
# the policy file checker's (policy files are loaded by the CLI and the API; the policy page only reads).
NOT_ON_PAGES = ("cli/", "demo/", "policy/source.py")


def test_the_examples_of_the_brief_read_in_chinese() -> None:
    assert translate("field evidence: this indicator needs evidence (a photo or PDF)") == (
        "证明材料：该指标须上传证明材料（照片或 PDF 文件）"
    )
    assert translate("field points: points for SM05 must be between 50 and 100") == (
        "分值：指标 SM05 的分值应在 50 至 100 分之间"
    )
    assert translate("field reason: a rejection needs a reason") == "理由：驳回须说明理由"
    assert translate("an officer does not decide an objection to their own decision") == (
        "针对本人所作决定的异议，须由其他干部作出决定"
    )
    assert translate("no resident RMJ6YBPS8QH8K in your grid") == "您负责的网格中没有居民 RMJ6YBPS8QH8K"
    assert translate("no organisation unit 'NOPE'") == "未找到组织单元“NOPE”"
    assert translate("the entry shown in the receipt differs from the signed leaf") == (
        "凭证中显示的记录与已签名的叶子不一致"
    )


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        # evaluation
        (
            "cap reached: at most 20 points for SM05 per month (15 already)",
            "已达上限：指标 SM05 每月最多 20 分（已有 15 分）",
        ),
        (
            "the item is posted; this needs grid_review or village_review",
            "该事项当前为“已入账”，只有“网格互评中”或“村（社区）评议中”的事项才能办理此项操作",
        ),
        ("repair can be applied for from 2027-05-25", "自 2027-05-25 起方可申请信用修复"),
        ("at most 5 submissions an hour", "每小时最多提交 5 次，请稍后再试"),
        ("field reason: a written statement is required", "理由：请填写书面说明"),
        # residents
        (
            "row 3, field id_number: aged 12: the policy enrols residents from age 14",
            "第 3 行，公民身份号码：12 岁：按现行办法，年满 14 周岁方可加入",
        ),
        (
            "field id_number: an ID number has 18 characters, this one 17",
            "公民身份号码：公民身份号码应为 18 位，此号码为 17 位",
        ),
        (
            "field household_id: household 12 is in grid 330281001001-G01, the resident in 330281001001-G02",
            "户：户 12 属于网格 330281001001-G01，而该居民属于网格 330281001001-G02",
        ),
        ("field interface: not a interface code: 'tax'", "数据接口：“tax”不是有效的数据接口代码"),
        # auth
        ("role resident not allowed here", "当前角色（居民）无权办理此项操作"),
        (
            "too many failed sign-ins; try again after 02:15 UTC",
            "登录失败次数过多，请于北京时间 10:15 后再试",
        ),
        ("user 'zhang.san' exists", "用户名“zhang.san”已存在"),
        (
            "field unit: a village_officer works at a village, not a township",
            "所属单位：村社干部应隶属于村（社区），不能隶属于镇（街道）",
        ),
        # ledger
        ("no ledger entry 4711", "未找到账本记录 4711"),
        (
            "checkpoint: the signature by moralbank-2026 does not verify",
            "检查点：moralbank-2026 的签名验证未通过",
        ),
        ("leaf_index is not a non-negative integer", "“leaf_index”不是非负整数"),
        ("a proof hash is not valid base64", "证明中的哈希值不是有效的 base64 编码"),
        # greencode, scoring, notify
        ("no card GC-7F3A", "未找到绿卡 GC-7F3A"),
        ("no score for RMJ6YBPS8QH8K yet", "居民 RMJ6YBPS8QH8K 暂无评分"),
        ("a message needs a resident and a subject", "消息须有收件居民和标题"),
        # orgs
        (
            "330281001001 一村 still has 2 open unit(s) under it: close or move them first",
            "330281001001 一村 下还有 2 个未撤销的下级单位，请先撤销或调整隶属",
        ),
        (
            "field parent: a grid sits under a village, not under a township (330281001)",
            "上级单位：网格应隶属于村（社区），不能隶属于镇（街道）（330281001）",
        ),
        # feeds
        ("quarantined row 17 is already discarded", "隔离行 17 已作废"),
        (
            "bytes that are not utf-8 in '备注xxxx…', which is not a field of blood_donation",
            "“备注xxxx…”中含有不符合 utf-8 编码的字节（它不是本接口的字段）",
        ),
        (
            "b.csv, line 1: columns named more than once in the header: 'kind', 'volume_ml'",
            "文件 b.csv，第 1 行：表头中以下列名重复出现：'kind', 'volume_ml'",
        ),
        (
            "row 4, field bad_json: the key 'volume_ml' appears more than once",
            "第 4 行，JSON 格式：键“volume_ml”重复出现",
        ),
        (
            "row 2, field record_id: a control character in the text: 'R\\x00-1'",
            "第 2 行，字段 record_id：“R\\x00-1”中含有控制字符",
        ),
        (
            "field since: not a date or ISO time: 'yesterday'",
            "起始时间：“yesterday”不是有效的日期或 ISO 时间",
        ),
        # outside services
        (
            "https://sms.example.cn/send: ConnectTimeout: timed out",
            "外部服务 https://sms.example.cn/send 暂时无法访问（ConnectTimeout：timed out），请稍后再试",
        ),
    ],
)
def test_each_capability_reads_in_chinese_with_its_variable_parts(english: str, chinese: str) -> None:
    assert translate(english) == chinese


def test_the_place_of_a_problem_reads_in_chinese() -> None:
    def zh(problem: Problem) -> str:
        return translate(str(problem))

    assert (
        zh(Problem("not a mainland mobile number", field="phone")) == "手机号码：不是有效的中国大陆手机号码"
    )
    assert zh(Problem("not a mainland mobile number", field="phone", row=4)) == (
        "第 4 行，手机号码：不是有效的中国大陆手机号码"
    )
    # a text file's line and its record number side by side; an unknown field keeps its name
    assert zh(Problem("3 cells where the header has 4", field="ragged_row", row=2, line=3, file="a.csv")) == (
        "文件 a.csv，第 3 行，第 2 条记录，列数：本行有 3 个单元格，而表头有 4 列"
    )
    assert zh(Problem("must be text", field="remark")) == "字段 remark：须为文本"
    assert zh(Problem("manifest signed by an untrusted key", file="manifest.json")) == (
        "文件 manifest.json：签名清单使用了不受信任的密钥签名"
    )


def test_each_problem_of_a_message_is_translated() -> None:
    message = str(
        InvalidInput(
            [
                Problem("a name is required", field="name", row=2),
                Problem("not a mainland mobile number", field="phone", row=2),
                Problem("API tokens are for partner systems (bank, provider, department feed)", field="role"),
                # a reason that itself holds "; "
                Problem(
                    "grid_worker is not a staff account role (residents use the phone; feeds use API tokens)",
                    field="role",
                ),
            ]
        )
    )
    assert translate(message) == (
        "第 2 行，姓名：须填写姓名；"
        "第 2 行，手机号码：不是有效的中国大陆手机号码；"
        "角色：接口令牌仅用于合作机构系统（银行、服务商、部门数据接口）；"
        "角色：网格员不是工作人员账号的角色（居民用手机号登录，部门数据接口使用接口令牌）"
    )
    assert translate("session expired; sign in again") == "登录已过期，请重新登录"


def test_a_message_without_a_pattern_is_a_chinese_sentence_quoting_it() -> None:
    assert translate("the moon is made of cheese") == "请求未能完成（the moon is made of cheese）"
    assert known_wording("the moon is made of cheese") is None
    # only the problem without a pattern is quoted; its place is still in Chinese
    assert translate(
        "row 2, field name: the moon is made of cheese; field phone: not a mainland mobile number"
    ) == ("第 2 行，姓名：请求未能完成（the moon is made of cheese）；手机号码：不是有效的中国大陆手机号码")
    # a vocabulary word without Chinese does not leave half a sentence in English
    assert translate("role emperor not allowed here") == "请求未能完成（role emperor not allowed here）"
    assert (
        translate("checkpoint: the moon is made of cheese")
        == "请求未能完成（checkpoint: the moon is made of cheese）"
    )


def test_a_message_already_in_chinese_is_left_as_it_is() -> None:
    assert translate("请填写日期") == "请填写日期"
    assert translate("") == ""


def test_english_pages_keep_the_english_message() -> None:
    english = "field evidence: this indicator needs evidence (a photo or PDF)"
    assert error_text(english, "en") == "Evidence: this indicator needs evidence (a photo or PDF)"
    assert error_text(english, "zh-CN") == "证明材料：该指标须上传证明材料（照片或 PDF 文件）"


def test_every_chinese_wording_uses_only_the_parts_its_english_names() -> None:
    names = re.compile(r"\{(\w+)(?::\w+)?\}")
    for english, chinese in errors_zh._TABLE:
        assert set(names.findall(chinese)) <= set(names.findall(english)), english
        assert re.search(r"[\u4e00-\u9fff]", chinese), english


# -- every message the services raise has a pattern ---------------------------------------------------


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """The classes of errors a page can show: errors.py's, and their subclasses and ValueErrors
    defined in the source (``BadIdNumber``, ``VerificationError`` …)."""
    names = {"MoralbankError", "NotFound", "PermissionDenied", "NotAuthenticated", "Conflict"}
    names |= {"RateLimited", "Unavailable", "InvalidInput"}
    for tree in trees.values():
        for node in ast.walk(tree):
            bases = {b.id for b in getattr(node, "bases", ()) if isinstance(b, ast.Name)}
            if isinstance(node, ast.ClassDef) and bases & (names | {"ValueError"}):
                names.add(node.name)
    return names


def _templates(node: ast.expr | None) -> list[str]:
    """The message(s) an expression spells out, its f-string parts as ``{}`` (``'{}'`` for ``!r``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        text = ""
        for v in node.values:
            if isinstance(v, ast.Constant):
                text += str(v.value)
            else:
                assert isinstance(v, ast.FormattedValue)
                text += "'{}'" if v.conversion == ord("r") else "{}"
        return [text]
    if isinstance(node, ast.IfExp):
        return _templates(node.body) + _templates(node.orelse)
    return []


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _messages_in(tree: ast.Module, classes: set[str]) -> list[tuple[int, str]]:
    # Local helpers that take a ``reason`` (``bad(field, reason)``) and build Problems from it.
    helpers = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            params = [a.arg for a in node.args.args]
            if "reason" in params and node.name not in classes:
                helpers[node.name] = params.index("reason") - (params[:1] == ["self"])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Call):
            name, args = _name(node.func), node.args
            keywords = {k.arg: k.value for k in node.keywords}
            if name in classes and args:
                texts = _templates(args[0])
            elif name == "Problem":
                texts = _templates(args[0] if args else keywords.get("reason"))
            elif name == "Decision" and len(args) == 2 and getattr(args[0], "value", True) is False:
                texts = _templates(args[1])
            elif name in helpers:
                i = helpers[name]
                texts = _templates(args[i] if len(args) > i else keywords.get("reason"))
            elif (
                name == "append"
                and isinstance(node.func, ast.Attribute)
                and _name(node.func.value) == "problems"
            ):
                texts = _templates(args[0]) if args else []
        elif (
            isinstance(node, ast.FunctionDef)
            and "problems" in node.name
            and node.returns is not None
            and ast.unparse(node.returns) == "list[str]"
        ):  # reasons returned as text (orgs' placement_problems)
            texts = [
                t
                for lst in ast.walk(node)
                if isinstance(lst, ast.List)
                for e in lst.elts
                for t in _templates(e)
            ]
        found += [(node.lineno, t) for t in texts]  # type: ignore[attr-defined]
    return found


@cache
def service_messages() -> dict[str, str]:
    """Every literal message of the source a page can show → where it is first raised."""
    trees = {
        path.relative_to(SRC).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SRC.rglob("*.py"))
        if not path.relative_to(SRC).as_posix().startswith(NOT_ON_PAGES)
    }
    classes = _error_classes(trees)
    messages: dict[str, str] = {}
    for rel, tree in trees.items():
        for line, text in _messages_in(tree, classes):
            messages.setdefault(text, f"{rel}:{line}")
    return messages


def _all(values: object) -> list[str]:
    return [str(v) for v in values]  # type: ignore[attr-defined]


def samples() -> dict[str, list[str]]:
    """Messages whose parts are words of a vocabulary (or another message), with real values, taken
    from the code where it has them, so a new role, state or level without Chinese fails too."""
    from moralbank.feeds.domain import _REFUSED, FIELD_TYPES, MISSING

    # a staff member's fix of a quarantined row: "<refusal>: '<the value>'", or the bare refusal
    refused = [_REFUSED[MISSING]] + [
        f"{text.format(type=t, codes='A, B')}: 'x'"
        for key, text in _REFUSED.items()
        if key != MISSING
        for t in FIELD_TYPES
    ]
    return {
        "{}: '{}'": refused,
        "no {}": ["no resident RMJ6YBPS8QH8K", "no unit 330281001"],
        "role {} not allowed here": [f"role {r} not allowed here" for r in _all(Role)],
        "{} is not a staff account role (residents use the phone; feeds use API tokens)": [
            f"{r} is not a staff account role (residents use the phone; feeds use API tokens)"
            for r in _all(Role)
        ],
        "a {} needs a unit": [f"a {r} needs a unit" for r in _all(Role)],
        "a {} needs a unit (usually the city)": [
            f"a {r} needs a unit (usually the city)" for r in _all(Role)
        ],
        "a {} works at a {}, not a {}": [
            f"a {r} works at a {lv}, not a city" for r in _all(Role) for lv in LEVELS
        ],
        "too many failed sign-ins; try again after {} UTC": [
            "too many failed sign-ins; try again after 23:05 UTC"
        ],
        "the item is {}; this needs {}": [f"the item is {s}; this needs {s} or posted" for s in _all(State)],
        "a {} is required": [
            f"a {what} is required"
            for what in ("reason", "reason for the dispute", "written statement", "written reason")
        ],
        "cap reached: at most {} points for {} per {} ({} already)": [
            f"cap reached: at most 20 points for SM05 per {p} (15 already)" for p in _all(Period)
        ],
        "cap reached: at most {} times {} per {}": [
            f"cap reached: at most 2 times SM05 per {p}" for p in _all(Period)
        ],
        "level '{}' is not one of {}": [f"level 'county' is not one of {', '.join(LEVELS)}"],
        "a {} code is {}; got '{}'": [
            f"a {lv} code is {form}; got '33'" for lv, form in _CODE_FORM_TEXT.items()
        ],
        "a {} code starts with its parent's code {}; got '{}'": [
            f"a {lv} code starts with its parent's code 330281; got '3302'" for lv in LEVELS
        ],
        "a {} needs a parent {}": [f"a {lv} needs a parent {p}" for lv in LEVELS for p in LEVELS],
        "a {} sits under a {}, not under a {} ({})": [
            f"a {lv} sits under a {p}, not under a {p} (330281)" for lv in LEVELS for p in LEVELS
        ],
        "{} exists as a {}; a level cannot change": [
            f"330281 exists as a {lv}; a level cannot change" for lv in LEVELS
        ],
        "not a {} code: '{}'": [f"not a {kind} code: 'x'" for kind in CONSENT_KINDS],
        "a correction names one of {}": [f"a correction names one of {', '.join(CORRECTABLE)}"],
        "this request was already {}": [
            "this request was already accepted",
            "this request was already rejected",
        ],
        "quarantined row {} is already {}": [
            f"quarantined row 7 is already {s}" for s in ("discarded", "reprocessed")
        ],
        "{}: {}: {}": ["https://sms.example.cn/api/send: ConnectTimeout: timed out"],
        "{} answered {}: {}": ["https://sms.example.cn/api/send answered 503: Service Unavailable"],
        "verifier key: {}": ["verifier key: not an Ed25519 verifier key"],
        "checkpoint: {}": ["checkpoint: no signature by a trusted key"],
        "inclusion: {}": ["inclusion: the proof is too short"],
        "consistency: {}": ["consistency: equal sizes but different roots"],
        "leaf: {}": ["leaf: leaf is not in canonical form"],
        "{} in '{}', which is not a field of {}": [  # a reader's problem in a column the interface lacks
            f"bytes that are not {e} in 'x', which is not a field of blood_donation"
            for e in ("UTF-8", "utf-8", "gb18030")
        ],
    }


def python_messages() -> list[str]:
    """Python's own messages a page shows: an uploaded receipt that is not JSON or not UTF-8."""
    out = []
    for bad in (lambda: json.loads("{"), lambda: b"\xff".decode("utf-8")):
        try:
            bad()
        except ValueError as e:
            out.append(str(e))
    return out


def all_samples() -> list[tuple[str, str]]:
    """(where it is raised, a message) for each message of the source, and Python's."""
    return [
        (where, sample)
        for template, where in service_messages().items()
        for sample in samples().get(template, [template.replace("{}", "7")])
    ] + [("python", message) for message in python_messages()]


def test_the_scan_sees_the_services_messages() -> None:
    messages = service_messages()
    assert len(messages) > 300
    assert "this indicator needs evidence (a photo or PDF)" in messages  # Problem(...)
    assert "the city is the root: it has no parent" in messages  # a reason returned as text
    assert "outside organisation subtree" in messages  # Decision(False, ...)
    assert "must be text" in messages  # bad(reason, name)
    assert "the entry shown in the receipt differs from the signed leaf" in messages  # VerificationError


def test_every_message_a_page_can_show_has_a_chinese_pattern() -> None:
    uncovered = [f"{where}: {sample}" for where, sample in all_samples() if known_wording(sample) is None]
    assert uncovered == []


def test_the_table_and_the_samples_follow_the_source() -> None:
    """A message the services no longer raise leaves no dead pattern (or sample) behind."""
    assert set(samples()) - set(service_messages()) == set()
    used = [sample for _, sample in all_samples()]
    patterns = [(english, errors_zh._compile(english, chinese)[1]) for english, chinese in errors_zh._TABLE]
    assert [english for english, p in patterns if not any(p.apply(s) for s in used)] == []
