"""The points ledger: append-only entries under an RFC 9162 Merkle log with signed checkpoints."""
