"""Observability: structured JSON logs and Prometheus metrics."""
