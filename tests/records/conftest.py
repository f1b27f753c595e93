"""The records tests use the suite-wide `api` fixture (tests/conftest.py, tests/apiclient.py)."""

from tests.apiclient import Api

__all__ = ["Api"]
