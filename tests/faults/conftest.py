"""Fixtures of the fault-injection tests: throwaway servers (servers.py) that the tests may kill."""

from .servers import postgres_cluster, redis_server

__all__ = ["postgres_cluster", "redis_server"]
