"""Words the pages use for internal codes (roles, evaluation states), in the source language (zh-CN;
English in the catalogs). One place, so a page and the Chinese wording of an error (``errors_zh``) say
the same."""

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

ROLE_NAMES = {  # as auth/_roles.html names them
    "city_admin": "市级管理员",
    "township_officer": "镇街干部",
    "village_officer": "村社干部",
    "grid_worker": "网格员",
    "auditor": "审计员",
    "resident": "居民",
    "provider_staff": "服务商工作人员",
    "bank_staff": "银行工作人员",
    "department_feed": "部门数据接口",
}
