"""Declarative base, engine, unit of work and migrations."""
