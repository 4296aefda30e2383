"""moralbank: a moral bank (道德银行) for grassroots governance.

Residents' good conduct is evaluated, recorded as points in a tamper-evident ledger, and turned
into a score and a green code. See docs/architecture.md for the layout.
"""

__version__ = "0.1.0"
