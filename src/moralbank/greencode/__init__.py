"""The green code: a signed, offline-verifiable tier."""
