"""Chinese wording of the domain errors pages show (``i18n.error_text``).

The services write their refusals in English (logs, the API and the CLI read them as they are). Pages in
Chinese translate them here, with one table: each English message, its variable parts written as
``{name}``, beside its Chinese wording, which copies those parts over. A part written ``{name:kind}``
is a word from a closed vocabulary (a role, a state, a level …) and is put into Chinese by the
converter ``kind`` below; when the value is not in that vocabulary the pattern does not match, so no
half-English sentence reaches a page.

A message is what ``InvalidInput`` builds: problems joined with ``"; "``, each perhaps prefixed by
where it is (``Problem.where()``: ``"file, line N, row N, field F: "``). Each problem is translated on
its own and the places get Chinese labels. A message without a pattern is shown as a generic Chinese
sentence with the original in brackets; tests/unit/web/test_errors_zh.py fails when a service raises
a message that has none.

To add a message: add its English text and Chinese wording to ``_TABLE`` (under its capability).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from moralbank.web.labels import ITEM_STATES, ROLE_NAMES

__all__ = ["FALLBACK", "known_wording", "translate"]

FALLBACK = "请求未能完成（{}）"
"""The Chinese sentence for a message (or one problem of it) that has no pattern."""

# -- vocabularies (the words of docs/glossary.md and of the pages) ---------------------------------------

ROLES = ROLE_NAMES
LEVELS = {"city": "市", "township": "镇（街道）", "village": "村（社区）", "grid": "网格"}
STATES = ITEM_STATES  # evaluation items, as the evaluation pages name them
PERIODS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年"}
REQUIRED_TEXTS = {  # evaluation: "a {what} is required"
    "reason": "理由",
    "reason for the dispute": "异议理由",
    "written statement": "书面说明",
    "written reason": "书面理由",
}
STATUSES = {  # quarantined rows and correction requests
    "discarded": "作废",
    "reprocessed": "重新处理",
    "accepted": "同意更正",
    "rejected": "不予更正",
}
CONSENT_KINDS = {"interface": "数据接口", "purpose": "使用目的"}
CODE_FORMS = {  # orgs: the form of a division code per level
    "6 digits (GB/T 2260)": "六位数字（GB/T 2260）",
    "9 digits": "九位数字",
    "12 digits": "十二位数字",
    "<village code>-G<2-4 digits>, e.g. 330281001001-G03": "“村代码-G两至四位数字”（如 330281001001-G03）",
}
FIELD_TYPES = {  # feeds: the types of an interface's fields
    "str": "文本",
    "int": "整数",
    "decimal": "数值",
    "date": "日期",
    "bool": "是否",
    "code": "代码",
    "id_number": "公民身份号码",
    "uscc": "统一社会信用代码",
}
JSON_NAMES = {"a proof hash": "证明中的哈希值"}  # ledger receipts; other names are JSON keys, quoted

FIELDS = {  # the "field X" of a problem
    "aspect": "方面",
    "author": "修订人",
    "actor": "记账人",
    "code": "代码",
    "consent": "授权",
    "consent_required": "是否需要授权",
    "consent_text_version": "同意书版本",
    "decision": "审核结论",
    "deed_date": "发生日期",
    "description": "情况描述",
    "encoding": "编码",
    "evidence": "证明材料",
    "expires_at": "有效期",
    "field": "更正项目",
    "fields": "字段定义",
    "grid": "网格",
    "guardian_id_number": "监护人公民身份号码",
    "guardian_name": "监护人姓名",
    "household": "户号",
    "household_id": "户",
    "id_number": "公民身份号码",
    "Idempotency-Key": "幂等键",
    "indicator": "指标",
    "interface": "数据接口",
    "item_id": "评议事项",
    "kind": "类型",
    "ledger_seq": "账本记录序号",
    "level": "层级",
    "name": "姓名",
    "name_zh": "中文名称",
    "note": "说明",
    "old_size": "原树大小",
    "parent": "上级单位",
    "password": "密码",
    "phone": "手机号码",
    "points": "分值",
    "policy_version": "政策版本",
    "pull": "定时拉取",
    "purpose": "使用目的",
    "reason": "理由",
    "resident_id": "居民编号",
    "reverses_seq": "冲回的记录序号",
    "role": "角色",
    "rules": "计分规则",
    "scopes": "权限范围",
    "severity": "严重程度",
    "since": "起始时间",
    "size": "树大小",
    "source": "来源",
    "source_ref": "源记录编号",
    "status": "状态",
    "subject": "主体类型",
    "text_version": "同意书版本",
    "token": "令牌",
    "transports": "传输方式",
    "unit": "所属单位",
    "username": "用户名",
    "value": "更正内容",
    "why": "查阅用途",
    # feeds: a row that could not be read at all
    "ragged_row": "列数",
    "bad_encoding": "编码",
    "bad_json": "JSON 格式",
    "bad_csv": "CSV 格式",
}


# -- converters of {name:kind} parts: (what the part matches, how it reads in Chinese; None: no match) ---


_PLAIN = r"(?:(?!; |: ).)+?"


def _word(vocabulary: dict[str, str]) -> tuple[str, Callable[[str], str | None]]:
    return _PLAIN, vocabulary.get


def _words(vocabulary: dict[str, str], sep: str, join: str) -> tuple[str, Callable[[str], str | None]]:
    def convert(value: str) -> str | None:
        words = [vocabulary.get(w) for w in value.split(sep)]
        return None if None in words else join.join(words)  # type: ignore[arg-type]

    return _PLAIN, convert


def _beijing_time(value: str) -> str:
    hours, minutes = value.split(":")
    return f"{(int(hours) + 8) % 24:02d}:{minutes}"


CONVERTERS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    # A plain part (an id, a code, a number) holds no "; " or ": ", so it never swallows the place or the
    # next problem of a message; a Python exception's own text (``detail``) may hold anything.
    "text": (_PLAIN, str),
    "detail": (r".*?", str),
    "role": _word(ROLES),
    "level": _word(LEVELS),
    "levels": _words(LEVELS, ", ", "、"),
    "state": _word(STATES),
    "states": _words(STATES, " or ", "”或“"),
    "period": _word(PERIODS),
    "required": _word(REQUIRED_TEXTS),
    "status": _word(STATUSES),
    "consent_kind": _word(CONSENT_KINDS),
    "corrections": _words({**FIELDS, "other": "其他"}, ", ", "、"),
    "code_form": _word(CODE_FORMS),
    "field_type": _word(FIELD_TYPES),
    "json_name": (_PLAIN, lambda v: JSON_NAMES.get(v, f"“{v}”")),
    "url": (r"https?://\S+?", str),
    "utc_hhmm": (r"\d{1,2}:\d{2}", _beijing_time),
    "message": (r".+?", lambda v: known_wording(v)),  # a message inside a message
}

# -- the table: English message → Chinese wording ---------------------------------------------------------

_TABLE: tuple[tuple[str, str], ...] = (
    # evaluation: deeds, deductions, reviews
    ("residents submit their own deeds", "居民只能为本人提交善行"),
    ("name the resident you enter the deed for", "请填写代录善行的居民编号"),
    (
        "deeds are submitted by the resident or entered by their grid worker",
        "善行须由居民本人提交，或由所在网格的网格员代录",
    ),
    ("no resident {resident} in your grid", "您负责的网格中没有居民 {resident}"),
    ("no resident {resident} in your area", "您的管辖范围内没有居民 {resident}"),
    ("describe the deed", "请描述善行经过"),
    ("describe what happened", "请说明具体情况"),
    ("the date is in the future", "日期不能晚于今天"),
    ("the deed date is in the future", "善行发生日期不能晚于今天"),
    ("deeds are submitted within {days} days", "善行须在发生后 {days} 日内提交"),
    (
        "grid mutual evaluation is for the grid worker and residents of the grid",
        "网格互评仅限本网格的网格员和居民参与",
    ),
    ("mutual evaluation is for grid workers and residents", "网格互评仅限网格员和居民参与"),
    ("decision is approve or reject", "审核结论只能是“通过”或“驳回”"),
    ("a rejection needs a reason", "驳回须说明理由"),
    ("residents withdraw their own deeds", "居民只能撤回本人提交的善行"),
    ("deductions are proposed by staff", "扣分只能由工作人员提出"),
    ("indicator '{indicator}' is not in policy {version}", "政策版本 {version} 中没有指标“{indicator}”"),
    (
        "cap reached: at most {max} points for {indicator} per {period:period} ({so_far} already)",
        "已达上限：指标 {indicator} 每{period}最多 {max} 分（已有 {so_far} 分）",
    ),
    (
        "cap reached: at most {max} times {indicator} per {period:period}",
        "已达上限：指标 {indicator} 每{period}最多 {max} 次",
    ),
    (
        "the item is {state:state}; this needs {states:states}",
        "该事项当前为“{state}”，只有“{states}”的事项才能办理此项操作",
    ),
    ("a {what:required} is required", "请填写{what}"),
    (
        "points for {indicator} must be between {min} and {max}",
        "指标 {indicator} 的分值应在 {min} 至 {max} 分之间",
    ),
    ("a resident cannot submit a deduction", "居民不能提交扣分事项"),
    (
        "this indicator is not self-evaluated; it comes from records",
        "该指标不接受个人自评，由部门数据评价产生",
    ),
    ("this indicator needs evidence (a photo or PDF)", "该指标须上传证明材料（照片或 PDF 文件）"),
    ("{indicator} is not a negative indicator", "{indicator} 不是扣分指标"),
    (
        "the policy publishes no basis for this indicator; it cannot be applied",
        "政策未公布该指标的依据，不能适用",
    ),
    ("the policy publishes no basis for this indicator", "政策未公布该指标的依据"),
    ("a deduction needs evidence", "扣分须附证明材料"),
    (
        "only the grid worker and residents of the deed's grid take part",
        "只有善行所在网格的网格员和居民可以参与互评",
    ),
    ("nobody confirms their own deed", "不能确认本人的善行"),
    ("nobody confirms a deed of their own household", "不能确认本户家庭成员的善行"),
    ("the grid worker who entered the deed does not also confirm it", "代录善行的网格员不能再确认该善行"),
    ("one voice per person: you have already taken part", "每人只能表态一次，您已参与过互评"),
    (
        "the second officer confirms the points proposed; reject to change them",
        "第二人只能确认所提分值；如需改动，请驳回",
    ),
    ("a deduction needs a second, different officer", "扣分须由另一名干部进行第二人确认"),
    ("a deduction needs two different officers", "扣分须经两名不同的干部审核后方可入账"),
    ("already posted", "该事项已入账"),
    ("the objection window has not been opened", "尚未告知本人并开放异议期，不能入账"),
    ("this indicator may not post without a person", "该指标须经人工审核方可入账"),
    ("a village/community officer has not approved it", "尚未经村（社区）干部评议通过，不能入账"),
    ("the grid quorum has not been reached", "网格互评确认人数尚未达到要求"),
    ("the objection has already been decided", "该异议已作出决定"),
    ("at most {count} submissions an hour", "每小时最多提交 {count} 次，请稍后再试"),
    ("at most {count} submissions a day", "每天最多提交 {count} 次，请明天再试"),
    ("at most {count} confirmations a day", "每天最多确认 {count} 次，请明天再试"),
    ("no evaluation item {item}", "未找到评议事项 {item}"),
    ("no such item in your area", "您的管辖范围内没有该评议事项"),
    (
        "only village/community officers (or the levels above) decide",
        "只有村（社区）干部或上级干部可以作出评议决定",
    ),
    (
        "only township and city staff audit and reopen",
        "只有镇（街道）和市级工作人员可以复核并重新打开评议事项",
    ),
    ("only the resident concerned can do this", "只有居民本人可以办理此事项"),
    ("no ledger entry {seq}", "未找到账本记录 {seq}"),
    ("ledger entry {seq} is already reversed", "账本记录 {seq} 已被冲回"),
    ("the review queue is for officers", "评议审核列表仅供干部使用"),
    ("objections are decided by officers", "异议由干部作出决定"),
    ("the overdue list is for officers", "逾期事项列表仅供干部使用"),
    ("the audit list is for officers and auditors", "复核列表仅供干部和审计员使用"),
    # evaluation: evidence files
    ("at most {count} files", "最多上传 {count} 个文件"),
    ("the file is empty", "文件为空"),
    ("the file is larger than {size} MB", "文件不能超过 {size} MB"),
    ("only photos (JPEG, PNG, WebP) and PDF files are accepted", "只接受照片（JPEG、PNG、WebP）和 PDF 文件"),
    ("not a content hash", "不是有效的文件内容哈希"),
    ("no such file", "文件不存在"),
    # evaluation: objections, human review, refusals, credit repair
    ("kind is objection or human_review", "类型只能是“异议”或“人工复核”"),
    ("object to one item or one ledger entry", "异议须针对一个评议事项或一条账本记录"),
    (
        "this item is withdrawn or reversed; there is nothing left to object to",
        "该事项已撤回或已冲回，无需再提出异议",
    ),
    ("this entry has already been reversed", "该记录已冲回"),
    ("there is already an open objection on this", "已有正在办理的异议"),
    (
        "only automated decisions are reviewed on request; object instead",
        "只有自动化决定可以申请人工复核，其他情况请提出异议",
    ),
    ("only a posted automated decision can be refused", "只有已入账的自动化决定才能拒绝"),
    ("only a negative record can be repaired", "只有扣分记录才能申请信用修复"),
    ("this record has already been reversed or repaired", "该记录已冲回或已修复"),
    ("there is already an open request on this record", "该记录已有正在办理的申请"),
    ("repair can be applied for from {date}", "自 {date} 起方可申请信用修复"),
    ("no objection {objection}", "未找到异议 {objection}"),
    (
        "an officer does not decide an objection to their own decision",
        "针对本人所作决定的异议，须由其他干部作出决定",
    ),
    # evaluation: confirmation rings
    ("ring flags are for officers", "互评圈线索仅供干部处理"),
    ("no ring flag {flag}", "未找到互评圈线索 {flag}"),
    ("status is confirmed or dismissed", "状态只能是“确认”或“排除”"),
    ("say why", "请说明理由"),
    # residents
    ("no resident {resident}", "未找到居民 {resident}"),
    ("resident {resident} has withdrawn", "居民 {resident} 已退出"),
    ("only staff search residents", "只有工作人员可以查询居民"),
    ("a scoped role without a unit sees no residents", "未指定所属单位的账号不能查看居民"),
    ("this ID number is already enrolled", "该公民身份号码已登记"),
    ("a name is required", "须填写姓名"),
    ("name longer than {max} characters", "长度不能超过 {max} 个字"),
    (
        "enrolment is opt-in: the consent text version the resident agreed to is required",
        "加入须本人自愿：须填写居民签署的同意书版本",
    ),
    (
        "enrolment is opt-in: name the consent text version the residents signed",
        "加入须本人自愿：请填写居民签署的同意书版本",
    ),
    ("birth date in the future", "出生日期晚于今天"),
    (
        "aged {age}: the policy enrols residents from age {min}",
        "{age} 岁：按现行办法，年满 {min} 周岁方可加入",
    ),
    (
        "aged {age}: under {min} a guardian's consent is required (guardian name)",
        "{age} 岁：未满 {min} 周岁须经监护人同意（请填写监护人姓名）",
    ),
    ("the same ID number as row {row}", "与第 {row} 行的公民身份号码相同"),
    (
        "this person withdrew ({when}); re-enrolment needs a new opt-in",
        "此人已于 {when} 退出，重新加入须本人再次自愿申请",
    ),
    ("no open grid '{grid}'", "网格“{grid}”不存在或已撤销"),
    ("{grid} is not an open grid", "网格 {grid} 不存在或已撤销"),
    ("a grid is required", "须填写网格"),
    ("grid {grid} is outside your organisation unit", "网格 {grid} 不在您的管辖范围内"),
    (
        "household {household} is in grid {grid}, not {other}",
        "户 {household} 属于网格 {grid}，不属于网格 {other}",
    ),
    (
        "household {household} is in grid {grid}, the resident in {other}",
        "户 {household} 属于网格 {grid}，而该居民属于网格 {other}",
    ),
    ("household number {number} exists", "户号 {number} 已存在"),
    ("no household {household}", "未找到户 {household}"),
    (
        "consent is per {kinds}, not '{kind}'",
        "“{kind}”不是有效的授权类型，授权须按数据接口或使用目的分别办理",
    ),
    ("not a {kind:consent_kind} code: '{code}'", "“{code}”不是有效的{kind}代码"),
    ("name exactly one interface or one purpose", "请指定一个数据接口或一个使用目的"),
    ("a grant names the consent text version shown", "授权须写明所展示的同意书版本"),
    ("a correction names one of {fields:corrections}", "请选择更正项目：{fields}"),
    ("say what the correct value is", "请填写正确的内容"),
    ("too long", "内容过长"),
    ("this request was already {status:status}", "该申请已处理（{status}）"),
    ("no correction request {request}", "未找到更正申请 {request}"),
    ("staff decide correction requests", "更正申请由工作人员处理"),
    ("not a usable name", "不是可用的姓名"),
    # residents: ID numbers (GB 11643)
    ("an ID number has 18 characters, this one {length}", "公民身份号码应为 18 位，此号码为 {length} 位"),
    (
        "an ID number is 17 digits and a check character 0-9 or X",
        "公民身份号码由 17 位数字和 1 位校验码（0～9 或 X）组成",
    ),
    (
        "the check character does not match (GB 11643 / ISO 7064 MOD 11-2)",
        "校验码不正确（GB 11643 / ISO 7064 MOD 11-2）",
    ),
    ("{digits} is not a date", "{digits} 不是有效的出生日期"),
    (
        "{code} is not a known administrative division code (GB/T 2260)",
        "{code} 不是有效的行政区划代码（GB/T 2260）",
    ),
    # auth: access decisions
    ("outside organisation subtree", "超出您的管辖范围"),
    ("not the resident's own data", "只能查看本人的数据"),
    ("partners see no organisation data", "合作机构不能查看组织数据"),
    ("partners do not change residents' data", "合作机构不能修改居民数据"),
    ("no consent for this purpose", "居民未授权此用途"),
    ("department feeds only push records of consenting residents", "部门数据接口只能推送已授权居民的记录"),
    ("unknown role", "未知角色"),
    ("role {role:role} not allowed here", "当前角色（{role}）无权办理此项操作"),
    ("auditors are read-only", "审计员只能查看，不能修改"),
    ("missing scope {scope}", "缺少权限范围 {scope}"),
    ("no unit {unit}", "未找到单位 {unit}"),
    ("sign in first", "请先登录"),
    # auth: accounts and tokens
    (
        "username: lowercase letters, digits, . _ - (2–63)",
        "用户名只能由小写字母、数字和 . _ - 组成（2～63 个字符）",
    ),
    (
        "{role:role} is not a staff account role (residents use the phone; feeds use API tokens)",
        "{role}不是工作人员账号的角色（居民用手机号登录，部门数据接口使用接口令牌）",
    ),
    ("a {role:role} needs a unit", "{role}须指定所属单位"),
    ("a {role:role} needs a unit (usually the city)", "{role}须指定所属单位（通常为市级）"),
    (
        "a {role:role} works at a {level:level}, not a {other:level}",
        "{role}应隶属于{level}，不能隶属于{other}",
    ),
    ("only partner accounts carry scopes", "只有合作机构账号可以设置权限范围"),
    ("bad scope '{scope}'", "权限范围“{scope}”格式不正确"),
    ("at least {count} characters", "至少需要 {count} 个字符"),
    (
        "API tokens are for partner systems (bank, provider, department feed)",
        "接口令牌仅用于合作机构系统（银行、服务商、部门数据接口）",
    ),
    ("a token needs at least one scope", "令牌至少需要一个权限范围"),
    (
        "a department feed token only pushes its interface, not '{scope}'",
        "部门数据接口令牌只能推送本接口的数据，不能使用“{scope}”",
    ),
    ("not a mainland mobile number", "不是有效的中国大陆手机号码"),
    ("no organisation unit '{unit}'", "未找到组织单元“{unit}”"),
    ("user '{username}' exists", "用户名“{username}”已存在"),
    ("no user '{username}'", "未找到用户“{username}”"),
    ("expiry is in the past", "有效期不能早于当前时间"),
    ("a chosen token needs at least 32 characters", "自行设定的令牌至少需要 32 个字符"),
    ("no token {token}", "未找到令牌 {token}"),
    ("invalid, expired or revoked API token", "接口令牌无效、已过期或已吊销"),
    # auth: signing in
    (
        "too many failed sign-ins; try again after {until:utc_hhmm} UTC",
        "登录失败次数过多，请于北京时间 {until} 后再试",
    ),
    ("wrong username or password", "用户名或密码错误"),
    ("account disabled", "账号已停用"),
    ("session expired; sign in again", "登录已过期，请重新登录"),
    ("a code was sent less than a minute ago", "验证码已发送，请一分钟后再试"),
    ("too many codes for this phone; try again later", "该手机号获取验证码的次数过多，请稍后再试"),
    (
        "the SMS platform did not take the sign-in code; try again later",
        "短信平台未能发出登录验证码，请稍后再试",
    ),
    ("no valid code for this phone; request a new one", "该手机号没有有效的验证码，请重新获取"),
    ("wrong code", "验证码错误"),
    # audit: the access log
    ("a read of personal data needs a purpose", "查阅个人信息须说明用途"),
    ("only auditors and the city admin read the access log", "只有审计员和市级管理员可以查阅访问日志"),
    ("a unit-scoped auditor queries one resident at a time", "限定单位范围的审计员每次只能查询一名居民"),
    # orgs
    ("unit {unit} already exists", "单位 {unit} 已存在"),
    ("{unit} is closed", "{unit} 已撤销"),
    ("{unit} is already closed", "{unit} 已撤销"),
    ("parent {unit} is closed", "上级单位 {unit} 已撤销"),
    (
        "{unit} {name} still has {count} open unit(s) under it: close or move them first",
        "{unit} {name} 下还有 {count} 个未撤销的下级单位，请先撤销或调整隶属",
    ),
    (
        "{unit} {name} still has {count} enrolled resident(s): move them to another grid first",
        "{unit} {name} 还有 {count} 名在册居民，请先将其调整到其他网格",
    ),
    ("a unit needs a Chinese name", "单位须有中文名称"),
    ("a unit needs a Chinese name of at most 100 characters", "单位须有中文名称，且不超过 100 个字"),
    ("level '{level}' is not one of {levels:levels}", "层级“{level}”无效，应为{levels}之一"),
    ("a {level:level} code is {form:code_form}; got '{code}'", "{level}代码应为{form}，实际为“{code}”"),
    (
        "a {level:level} code starts with its parent's code {parent}; got '{code}'",
        "{level}代码应以上级单位代码 {parent} 开头，实际为“{code}”",
    ),
    ("the city is the root: it has no parent", "市为最高层级，没有上级单位"),
    ("a {level:level} needs a parent {parent:level}", "{level}须有上级{parent}"),
    (
        "a {level:level} sits under a {parent:level}, not under a {other:level} ({code})",
        "{level}应隶属于{parent}，不能隶属于{other}（{code}）",
    ),
    ("a unit cannot move under itself or its own descendant", "单位不能调整到自身或其下级单位之下"),
    ("code {code} appears again (first at row {row})", "代码 {code} 重复（首次出现在第 {row} 行）"),
    (
        "parent {code} is neither in the database nor a good row of this file",
        "上级单位 {code} 既不在系统中，也不是本文件中的有效行",
    ),
    ("{code} exists as a {level:level}; a level cannot change", "{code} 已作为{level}存在，层级不能更改"),
    # policy
    ("policy version {version}", "未找到政策版本 {version}"),
    ("unknown indicator '{indicator}'", "未知指标“{indicator}”"),
    ("an author is required", "须填写修订人"),
    (
        "policy version {version} was applied by someone else meanwhile; try again",
        "政策版本 {version} 已由他人同时启用，请重试",
    ),
    # scoring and green code
    ("no score for {resident} yet", "居民 {resident} 暂无评分"),
    ("only the resident and staff in scope see a portrait", "道德画像仅限本人和有管辖权限的工作人员查看"),
    ("say why the card is revoked", "请说明吊销绿卡的原因"),
    ("no card {card}", "未找到绿卡 {card}"),
    # notify
    ("a message needs a resident and a subject", "消息须有收件居民和标题"),
    (
        "channel '{channel}' is not configured (MORALBANK_NOTIFIER)",
        "通知渠道“{channel}”尚未配置（MORALBANK_NOTIFIER）",
    ),
    # outside services and keys
    ("{url:url}: {error}: {detail:detail}", "外部服务 {url} 暂时无法访问（{error}：{detail}），请稍后再试"),
    ("{url:url} answered {status}: {body:detail}", "外部服务 {url} 返回错误 {status}（{body}），请稍后再试"),
    ("no data key '{kid}' in {directory}", "在 {directory} 中未找到数据密钥“{kid}”"),
    (
        "no active {purpose} signing key; run the key rotation command",
        "没有可用的 {purpose} 签名密钥，请先执行密钥轮换命令",
    ),
    ("no {purpose} key '{kid}'", "未找到 {purpose} 密钥“{kid}”"),
    # spreadsheets and files
    ("the file is neither UTF-8 nor GB18030 text", "文件既不是 UTF-8 也不是 GB18030 编码的文本"),
    ("missing column '{column}'", "缺少列“{column}”"),
    ("not a valid XLSX workbook", "不是有效的 XLSX 工作簿"),
    ("the sheet is empty", "工作表为空"),
    # ledger
    ("no such ledger entry", "未找到该账本记录"),
    ("entry {seq} does not exist", "记录 {seq} 不存在"),
    ("entry {seq} belongs to another resident", "记录 {seq} 属于其他居民"),
    ("no ledger key {kid}", "未找到账本密钥 {kid}"),
    ("no checkpoint yet", "尚无检查点"),
    (
        "no checkpoint of tree size {size}; the nearest are {below} and {above}",
        "没有树大小为 {size} 的检查点；最接近的是 {below} 和 {above}",
    ),
    (
        "no checkpoint of tree size {size}; the nearest is {other}",
        "没有树大小为 {size} 的检查点；最接近的是 {other}",
    ),
    ("no checkpoint of tree size {size}; no checkpoint yet", "没有树大小为 {size} 的检查点：尚无检查点"),
    (
        "entry {seq} was posted after the checkpoint of size {size}",
        "记录 {seq} 是在树大小为 {size} 的检查点之后入账的",
    ),
    ("the tree has {size} entries", "账本共有 {size} 条记录"),
    ("need 0 < old size <= new size <= {size}", "须满足 0 < 原树大小 ≤ 新树大小 ≤ {size}"),
    ("a receipt is given only for the resident's own entries", "只能为居民本人的记录出具凭证"),
    ("not a pseudonymous resident id", "不是有效的居民编号"),
    (
        "must be a code of letters, digits and _.:/- (1-64 characters)",
        "须为由字母、数字和 _.:/- 组成的代码（1～64 个字符）",
    ),
    ("must be one of {choices}", "须为以下之一：{choices}"),
    ("must be a whole number of points between -{low} and {high}", "须为 -{low} 至 {high} 之间的整数分值"),
    ("must be a date", "须为日期"),
    ("must name who posts it (1-128 characters)", "须写明记账人（1～128 个字符）"),
    ("must say why, in words (1-{max} characters)", "须用文字说明原因（1～{max} 个字符）"),
    ("must be text", "须为文本"),
    ("must be a list of reference strings", "须为引用字符串的列表"),
    ("must be the seq of an earlier entry", "须为之前某条记录的序号"),
    ("a correction names the entry it reverses", "更正记录须写明所冲回的记录"),
    ("leaf is not UTF-8 JSON: {error:detail}", "叶子不是 UTF-8 编码的 JSON（{error}）"),
    ("leaf does not have exactly the version-1 keys", "叶子的字段与第 1 版格式不符"),
    ("unknown leaf version '{version}'", "未知的叶子格式版本“{version}”"),
    ("leaf fields are malformed: {error:detail}", "叶子字段格式不正确（{error}）"),
    ("leaf is not in canonical form", "叶子不是规范编码"),
    # ledger: checking a receipt or proof (the public /ledger/verify page)
    ("the entry shown in the receipt differs from the signed leaf", "凭证中显示的记录与已签名的叶子不一致"),
    ("not a {format} receipt", "不是 {format} 格式的凭证"),
    ("not a JSON object", "不是 JSON 对象"),
    ("no verifier key", "没有验证密钥"),
    ("no checkpoint", "没有检查点"),
    ("verifier key: {error:message}", "验证密钥：{error}"),
    ("checkpoint: {error:message}", "检查点：{error}"),
    ("inclusion: {error:message}", "包含证明：{error}"),
    ("consistency: {error:message}", "一致性证明：{error}"),
    ("leaf: {error:message}", "叶子：{error}"),
    ("{what:json_name} is not a base64 string", "{what}不是 base64 字符串"),
    ("{what:json_name} is not valid base64", "{what}不是有效的 base64 编码"),
    ("{what:json_name} is not a non-negative integer", "{what}不是非负整数"),
    (
        "the proof is for tree size {size} but the checkpoint has {other}",
        "证明对应的树大小为 {size}，而检查点的树大小为 {other}",
    ),
    ("proof is not a list", "proof 不是列表"),
    ("the leaf is entry {seq} but sits at index {index}", "叶子是第 {seq} 条记录，却位于索引 {index}"),
    ("not a consistency proof", "不是一致性证明"),
    ("the checkpoint of size {size} does not match the proof", "树大小为 {size} 的检查点与证明不符"),
    (
        "{error}: line {line} column {column} (char {char})",
        "不是有效的 JSON（第 {line} 行第 {column} 列：{error}）",
    ),
    (
        "'{codec}' codec can't decode {what} in position {position}: {why:detail}",
        "文件不是 {codec} 编码（位置 {position}）",
    ),
    # ledger: signed notes (checkpoints) and verifier keys
    ("a key name must be non-empty with no spaces or '+'", "密钥名称不能为空，且不能含有空格或“+”"),
    ("a verifier key is name+hash+key", "验证密钥的格式应为“名称+哈希+密钥”"),
    ("a verifier key has a hex hash and a base64 key", "验证密钥须由十六进制哈希和 base64 编码的密钥组成"),
    ("not an Ed25519 verifier key", "不是 Ed25519 验证密钥"),
    ("the verifier key's hash does not match its key", "验证密钥的哈希与密钥不符"),
    ("note text is non-empty lines, each ending in a newline", "注记正文须为非空行，且每行以换行符结尾"),
    ("the origin is one non-empty line", "日志来源标识须为一行非空文本"),
    ("a checkpoint body is origin, size and root lines", "检查点正文须由来源标识、树大小和根哈希三行组成"),
    ("the tree size is not a decimal number", "树大小不是十进制数字"),
    ("the root is not base64", "根哈希不是 base64 编码"),
    ("the root is not a 32-byte hash", "根哈希不是 32 字节的哈希值"),
    ("a signed note is text, a blank line and signature lines", "签名注记须由正文、一个空行和签名行组成"),
    ("a signed note has no control characters", "签名注记不能含有控制字符"),
    ("a signature line starts with an em dash and a space", "签名行须以破折号“—”和一个空格开头"),
    ("malformed signature line", "签名行格式不正确"),
    ("the signature by {name} does not verify", "{name} 的签名验证未通过"),
    ("no signature by a trusted key", "没有受信任密钥的签名"),
    # ledger: Merkle proofs
    ("{what} holds a value that is not a 32-byte hash", "{what} 中有不是 32 字节哈希的值"),
    ("leaf index {index} is not below tree size {size}", "叶子索引 {index} 超出树大小 {size}"),
    ("the proof is too long", "证明过长"),
    ("the proof is too short", "证明过短"),
    ("the inclusion proof does not lead to the root", "包含证明与根哈希不符"),
    ("the old size is larger than the new size", "原树大小大于新树大小"),
    ("a consistency proof from the empty tree proves nothing", "从空树出发的一致性证明没有意义"),
    ("equal sizes need an empty proof", "树大小相同时证明应为空"),
    ("equal sizes but different roots", "树大小相同，根哈希却不同"),
    ("an empty proof between different sizes", "树大小不同，证明却为空"),
    ("the proof does not lead to the old root", "证明与原根哈希不符"),
    ("the proof does not lead to the new root", "证明与新根哈希不符"),
    ("[{start}, {end}) is not a non-empty subtree", "[{start}, {end}) 不是非空子树"),
    ("[{start}, {end}) is not a valid subtree", "[{start}, {end}) 不是有效的子树"),
    ("leaf {index} is not in [{start}, {end})", "叶子 {index} 不在 [{start}, {end}) 范围内"),
    ("an empty subtree has the empty hash and an empty proof", "空子树应为空哈希和空证明"),
    ("the subtree ends beyond the tree", "子树超出了树的范围"),
    ("the whole tree needs an empty proof and equal roots", "整棵树应为空证明且根哈希相同"),
    ("the proof has the wrong number of hashes", "证明中的哈希数量不正确"),
    ("the proof does not lead to the subtree's hash", "证明与子树哈希不符"),
    ("the proof does not lead to the tree's root", "证明与树的根哈希不符"),
    # feeds: pushes, pulls, quarantine
    ("no data interface '{interface}'", "未找到数据接口“{interface}”"),
    ("no import {batch}", "未找到导入批次 {batch}"),
    ("no quarantined row {row}", "未找到隔离行 {row}"),
    ("quarantined row {row} is already {status:status}", "隔离行 {row} 已{status}"),
    (
        "only the city administrator and auditors read the quarantine",
        "只有市级管理员和审计人员可以查看隔离区",
    ),
    ("'{field}' is not a field of {interface}", "“{field}”不是数据接口 {interface} 的字段"),
    ("{interface} does not accept pushes", "数据接口 {interface} 不接受推送"),
    (
        "{interface} is not pulled (transports: {transports})",
        "数据接口 {interface} 不支持定时拉取（传输方式：{transports}）",
    ),
    ("token lacks scope feeds:push:{interface}", "令牌缺少权限范围 feeds:push:{interface}"),
    ("bad or missing X-Moralbank-Signature", "X-Moralbank-Signature 签名缺失或不正确"),
    (
        "an Idempotency-Key header (1-128 characters) is required",
        "须提供 Idempotency-Key 请求头（1～128 个字符）",
    ),
    ("this Idempotency-Key was used with a different body", "该幂等键已用于内容不同的另一次推送"),
    ("a reason is required to discard a row", "作废隔离行须说明原因"),
    ("required, cannot be empty", "必填，不能为空"),
    ("not a value of type {type:field_type}: '{value:detail}'", "“{value}”不是{type}类型的值"),
    ("not a valid date: '{value:detail}'", "“{value}”不是有效日期"),
    (  # the codes themselves are the page's list to choose from, named as the interface names them
        "not one of the interface's codes ({codes}): '{value:detail}'",
        "“{value}”不是本接口定义的代码，请从列表中选择",
    ),
    ("not a valid ID number (GB 11643): '{value:detail}'", "“{value}”未通过公民身份号码（GB 11643）校验"),
    (
        "not a valid unified social credit code (GB 32100): '{value:detail}'",
        "“{value}”未通过统一社会信用代码（GB 32100）校验",
    ),
    ("a date in the future: {date}", "日期晚于今天：{date}"),
    ("not a date or ISO time: '{text}'", "“{text}”不是有效的日期或 ISO 时间"),
    ("body larger than 50 MB: split it into several pushes", "推送内容超过 50 MB，请分多次推送"),
    ("manifest signed by an untrusted key", "签名清单使用了不受信任的密钥签名"),
    ("manifest signature does not verify", "签名清单的签名验证未通过"),
    ("SHA-256 differs from the manifest", "SHA-256 与签名清单不一致"),
    # feeds: department files
    (
        "unknown file type '{suffix}': csv, xlsx or jsonl",
        "不支持的文件类型“{suffix}”，仅支持 csv、xlsx 或 jsonl",
    ),
    ("{cells} cells where the header has {columns}", "本行有 {cells} 个单元格，而表头有 {columns} 列"),
    ("bytes that are not {encoding}", "含有不符合 {encoding} 编码的字节"),
    (
        "bytes that are not {encoding} in '{name:detail}', which is not a field of {interface}",
        "“{name}”中含有不符合 {encoding} 编码的字节（它不是本接口的字段）",
    ),
    ("a control character in the text: '{value:detail}'", "“{value}”中含有控制字符"),
    ("the header lacks the columns {columns}", "表头缺少以下列：{columns}"),
    ("columns named more than once in the header: {columns}", "表头中以下列名重复出现：{columns}"),
    ("a cell longer than {limit} characters", "有单元格超过 {limit} 个字符"),
    (
        "a quote opened on line {line} is not closed within {limit} characters",
        "第 {line} 行的引号在 {limit} 个字符内没有闭合",
    ),
    ("a quote opened on line {line} is never closed", "第 {line} 行的引号直到文件末尾都没有闭合"),
    (
        "the quoted cell opened on line {line} has text after its closing quote",
        "第 {line} 行开始的带引号单元格，在结束引号之后还有文字",
    ),
    ("not CSV: {error:detail}", "不是有效的 CSV（{error}）"),
    ("the file is empty: no header row", "文件为空，没有表头行"),
    ("the file is empty: no records", "文件为空，没有任何记录"),
    # feeds: sample files
    ("the directory '{directory}' does not exist", "目录“{directory}”不存在"),
    (
        "'{encoding}' is not an encoding the import reads ({encodings})",
        "“{encoding}”不是导入可读取的编码（可用：{encodings}）",
    ),
    ("not JSON: {error:detail}", "不是有效的 JSON（{error}）"),
    ("a line is one JSON object", "每行须为一个 JSON 对象"),
    ("the key '{key:detail}' appears more than once", "键“{key}”重复出现"),
    # feeds: interface definitions (YAML)
    ("an interface file is a YAML mapping", "接口定义文件须为 YAML 映射"),
    ("file name '{file}' differs from name '{name}'", "文件名“{file}”与接口名称“{name}”不一致"),
    ("'{key}' is required", "缺少必填项“{key}”"),
    ("'consent_required' is required (true or false)", "须填写 consent_required（true 或 false）"),
    ("name: lower-case letters, digits and _", "名称只能由小写字母、数字和下划线组成"),
    ("fields[{i}] needs name and type", "fields[{i}] 须有 name 和 type"),
    ("fields[{i}]: unknown type '{type}' (one of {types})", "fields[{i}]：未知类型“{type}”（可选：{types}）"),
    ("a code field lists its codes", "代码类字段须列出其代码"),
    ("field names must be unique", "字段名不能重复"),
    ("subject is one of {subjects}", "主体类型须为以下之一：{subjects}"),
    ("{key} names field '{field}', which is not declared", "{key} 引用的字段“{field}”未声明"),
    ("{key} '{field}' must be of type {type}", "{key} 引用的字段“{field}”须为 {type} 类型"),
    ("{key} '{field}' must be required", "{key} 引用的字段“{field}”须为必填字段"),
    ("rules[{i}] needs indicator and points", "rules[{i}] 须有 indicator 和 points"),
    ("rules[{i}].when names unknown field '{field}'", "rules[{i}].when 引用了未知字段“{field}”"),
    (
        "rules[{i}].when: {codes} not among the codes of '{field}'",
        "rules[{i}].when：{codes} 不在字段“{field}”的代码中",
    ),
    ("rules[{i}].per_field must be a numeric field", "rules[{i}].per_field 须为数值字段"),
    ("rules[{i}].points is a non-zero whole number", "rules[{i}].points 须为非零整数"),
    ("unknown transport '{transport}'", "未知传输方式“{transport}”"),
    ("a pulled interface names pull.url", "定时拉取的接口须填写 pull.url"),
    ("indicator '{indicator}' is not in the policy", "政策中没有指标“{indicator}”"),
    # the pages' own refusals
    ("unknown consent kind", "未知的授权类型"),
    ("tick the box to confirm the withdrawal", "请勾选确认框以确认退出"),
    # the app's refusals of values the database cannot take
    ("a number in the request is out of range", "请求中的数字超出允许范围"),
    ("text with a NUL character", "文本中含有 NUL 字符"),
    ("limit is at least 1 and offset at least 0", "limit 至少为 1，offset 至少为 0"),
    # feeds: values out of a field's bounds, a declared bound, a pull that failed
    ("out of the field's range: '{value:detail}'", "“{value}”超出该字段允许的范围"),
    ("too long for the field: '{value:detail}'", "“{value}”超出该字段允许的长度"),
    (
        "too long: {length} characters where the field takes at most {limit}",
        "内容过长：共 {length} 个字符，该字段最多 {limit} 个",
    ),
    ("text that has no UTF-8 form: '{value:detail}'", "“{value}”含有无法以 UTF-8 表示的字符"),
    (
        "fields[{i}].{key} is a number, on an int or decimal field",
        "fields[{i}].{key} 须为数字，且只用于 int 或 decimal 字段",
    ),
    ("{interface}: pull from {url} failed: {what}", "{interface}：从 {url} 拉取失败：{what}"),
    ("as_of must be a day from {first} to {last}", "as_of 须为 {first} 至 {last} 之间的日期"),
    # feeds: a push's body and its idempotency key
    ("the body is not UTF-8 (byte {byte})", "推送内容不是 UTF-8 编码（第 {byte} 字节）"),
    ("the body has no records", "推送内容中没有记录"),
    ('"records" must be a list', "“records”须为列表"),
    (
        'the body is neither JSON Lines nor an object with "records"',
        "推送内容须为 JSON Lines 或含“records”的对象",
    ),
    ("the body is JSON nested too deeply", "推送内容的 JSON 嵌套层级过深"),
    (
        "more than {limit} records in one push: split it into several pushes",
        "一次推送超过 {limit} 条记录，请分多次推送",
    ),
    (
        "a push with this Idempotency-Key is still being processed: retry later",
        "使用该幂等键的推送仍在处理中，请稍后重试",
    ),
)


# -- matching ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    chinese: str
    converters: dict[str, Callable[[str], str | None]]

    def apply(self, text: str) -> str | None:
        m = self.regex.fullmatch(text)
        if m is None:
            return None
        values = {}
        for name, value in m.groupdict().items():
            values[name] = self.converters[name](value)
            if values[name] is None:
                return None
        return self.chinese.format(**values)


_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _compile(english: str, chinese: str) -> tuple[int, _Pattern]:
    regex, converters, literal, pos = [], {}, 0, 0
    for m in _PLACEHOLDER.finditer(english):
        regex.append(re.escape(english[pos : m.start()]))
        literal += m.start() - pos
        part, convert = CONVERTERS[m.group(2) or "text"]
        regex.append(f"(?P<{m.group(1)}>{part})")
        converters[m.group(1)] = convert
        pos = m.end()
    regex.append(re.escape(english[pos:]))
    literal += len(english) - pos
    return literal, _Pattern(re.compile("".join(regex), re.DOTALL), chinese, converters)


def _compile_table() -> tuple[_Pattern, ...]:
    # The longer a pattern's fixed text, the more specific it is: "no resident {r} in your grid" is
    # tried before "no resident {r}", which would also match it.
    compiled = sorted((_compile(en, zh) for en, zh in _TABLE), key=lambda c: -c[0])
    return tuple(p for _, p in compiled)


_PATTERNS = _compile_table()
# How many "; "-separated pieces one problem can have ("session expired; sign in again" has two).
_MAX_PIECES = 1 + max(en.count("; ") for en, _ in _TABLE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}")


def _reason(text: str) -> str | None:
    for pattern in _PATTERNS:
        chinese = pattern.apply(text)
        if chinese is not None:
            return chinese
    return None


# Problem.where(): "file, line N, row N, field F", each part optional.
_WHERE = re.compile(
    r"(?:(?!line \d|row \d|field )(?P<file>(?:(?!, |: |; ).)+)(?:, |$))?"
    r"(?:line (?P<line>\d+)(?:, |$))?(?:row (?P<row>\d+)(?:, |$))?(?:field (?P<field>[^:;]+))?"
)


def _place(prefix: str) -> tuple[str, bool] | None:
    """The Chinese of a ``Problem.where()``, and whether it names a line, row or field (a file name
    alone is a weak sign: "checkpoint: …" is a message, not a file); None if ``prefix`` is not one."""
    m = _WHERE.fullmatch(prefix)
    if not prefix or m is None:
        return None
    file, line, row, field = m.group("file", "line", "row", "field")
    parts = [f"文件 {file}"] if file else []
    if line:
        parts.append(f"第 {line} 行")
    if row:  # a spreadsheet's row is its line; beside a line of a text file it counts records
        parts.append(f"第 {row} 条记录" if line else f"第 {row} 行")
    if field:
        parts.append(FIELDS.get(field, f"字段 {field}"))
    return "，".join(parts), bool(line or row or field)


def _places(text: str) -> list[tuple[str, bool, str]]:
    """Each way ``text`` splits into a place and a reason: (place in Chinese, strong, reason)."""
    out = []
    for m in re.finditer(": ", text):
        place = _place(text[: m.start()])
        if place is not None:
            out.append((*place, text[m.end() :]))
    return out


def _problem(text: str) -> str | None:
    """One problem, with or without its place; None when it has no pattern."""
    places = _places(text)
    for place, strong, reason in places:
        chinese = _reason(reason) if strong else None
        if chinese is not None:
            return f"{place}：{chinese}"
    chinese = _reason(text)
    if chinese is not None:
        return chinese
    for place, strong, reason in places:
        chinese = None if strong else _reason(reason)
        if chinese is not None:
            return f"{place}：{chinese}"
    return None


def _fallback(text: str) -> str:
    place = next(((p, reason) for p, strong, reason in _places(text) if strong), None)
    return f"{place[0]}：{FALLBACK.format(place[1])}" if place else FALLBACK.format(text)


def _pieces(message: str) -> tuple[list[str], bool]:
    """The Chinese of each problem of ``message``, and whether every one had a pattern."""
    pieces, out, known, i = message.split("; "), [], True, 0
    while i < len(pieces):
        for j in range(min(len(pieces), i + _MAX_PIECES), i, -1):
            chinese = _problem("; ".join(pieces[i:j]))
            if chinese is not None:
                out.append(chinese)
                i = j
                break
        else:
            out.append(_fallback(pieces[i]))
            known, i = False, i + 1
    return out, known


def known_wording(message: str) -> str | None:
    """The Chinese wording of ``message`` when each of its problems has a pattern, else None."""
    pieces, known = _pieces(message)
    return "；".join(pieces) if known else None


def translate(message: str) -> str:
    """The Chinese wording of ``message`` (a domain error's text) for a page in Chinese.

    Each problem of the message is translated by its pattern, the variable parts copied over; one
    without a pattern reads ``请求未能完成（<the English>）``. A message already in Chinese (a page's
    own) is returned as it is.
    """
    if not message:
        return message
    pieces, known = _pieces(message)
    if not known and _CJK.search(message) and not _ENGLISH.search(message):
        return message
    return "；".join(pieces)
