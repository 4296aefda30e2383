"""Shared building blocks with no business rules."""
