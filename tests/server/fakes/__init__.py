"""Loopback fakes of model providers' HTTP APIs, one module each.

Each fake speaks its provider's documented wire format (checked by driving it with that
provider's official SDK in ``tests/server/test_provider_fakes.py``) and enforces the
request rules the real API enforces, so a provider module that sends what the API would
refuse fails here too. What a fake answers is scripted per test with ``Reply``/``Failure``.
"""
