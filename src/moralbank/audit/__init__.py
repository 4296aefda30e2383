"""The access log: every read of a person's data."""
