"""The moral score and portrait, recomputable from the ledger."""
