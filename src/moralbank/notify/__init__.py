"""The in-app inbox and pluggable notification channels."""
