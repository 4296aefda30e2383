"""Words the pages use for the evaluation's internal codes, in the source language (zh-CN; English in
the catalogs). One place, so a page and the Chinese wording of an error (``errors_zh``) say the same."""

from __future__ import annotations

ITEM_STATES = {
    "grid_review": "网格互评中",
    "village_review": "村（社区）评议中",
    "confirm_review": "待第二人确认",
    "notice": "告知期（可提出异议）",
    "disputed": "有异议，待决定",
    "approved": "已通过",
    "posted": "已入账",
    "rejected": "未通过",
    "withdrawn": "已撤回",
    "reversed": "已冲回",
}
