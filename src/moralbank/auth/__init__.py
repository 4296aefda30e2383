"""Sign-in, roles, organisation scope and API tokens."""
