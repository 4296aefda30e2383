"""Moral evaluation use cases — the capability's public API (exactly ``__all__``).

Deeds, grid mutual evaluation, village review, big-data proposals, deductions, objections, credit
repair, human review of automated decisions, rings and deadlines. Every step is kept in
``evaluation_event`` and told to the resident through ``notify.service.send``. Points reach the ledger
only through ``ledger.service.post``, once per item. Services never commit: the caller's unit of work
does. The code lives in ``deeds``, ``objections``, ``rings``, ``views`` and (shared) ``core``.
"""

from __future__ import annotations

from moralbank.evaluation.core import (
    Upload,
    rules,
    rules_of,
)
from moralbank.evaluation.deeds import (
    BulkResult,
    approve,
    bulk_review,
    process_due,
    propose_deduction,
    propose_from_record,
    reject,
    reopen,
    submit,
    vote,
    withdraw,
    withdraw_from_record,
)
from moralbank.evaluation.objections import (
    apply_repair,
    decide_objection,
    not_decidable_by,
    object_to,
    refuse_automated,
    request_human_review,
)
from moralbank.evaluation.records import (
    ProposalOutcome,
    RecordProposal,
    propose_from_records,
)
from moralbank.evaluation.rings import (
    review_ring,
    ring_flags,
    scan_rings,
)
from moralbank.evaluation.views import (
    Overdue,
    Trail,
    audit_list,
    disputed_seqs,
    evidence,
    evidence_of,
    get,
    interfaces_of,
    items_of,
    objections_due,
    objections_of,
    overdue,
    pending_confirmations,
    review_queue,
    trail,
)

__all__ = [
    "Upload",
    "rules",
    "submit",
    "vote",
    "approve",
    "reject",
    "bulk_review",
    "reopen",
    "withdraw",
    "propose_deduction",
    "propose_from_record",
    "propose_from_records",
    "RecordProposal",
    "ProposalOutcome",
    "withdraw_from_record",
    "process_due",
    "object_to",
    "decide_objection",
    "not_decidable_by",
    "apply_repair",
    "refuse_automated",
    "request_human_review",
    "get",
    "trail",
    "items_of",
    "objections_of",
    "pending_confirmations",
    "review_queue",
    "objections_due",
    "overdue",
    "audit_list",
    "ring_flags",
    "review_ring",
    "scan_rings",
    "evidence",
    "evidence_of",
    "disputed_seqs",
    "interfaces_of",
    "rules_of",
    "BulkResult",
    "Trail",
    "Overdue",
]
