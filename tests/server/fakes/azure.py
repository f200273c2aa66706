"""Azure OpenAI: the OpenAI dialect at ``/openai/deployments/{deployment}/chat/completions``
with a required ``api-version`` query and the key in the ``api-key`` header."""

from __future__ import annotations

import re

from ._server import Request
from .openai import OpenAIFake

_DEPLOYMENT = re.compile(r"^/openai/deployments/([^/]+)/chat/completions$")


class AzureFake(OpenAIFake):
    key = "azure-fake-key"

    def route(self, request: Request) -> bool:
        return bool(_DEPLOYMENT.match(request.path)) and bool(request.query.get("api-version"))

    def authorised(self, request: Request) -> bool:
        return request.headers.get("api-key") == self.key

    def deployment(self, request: Request) -> str:
        match = _DEPLOYMENT.match(request.path)
        assert match is not None
        return match.group(1)
