"""The FastAPI application: routers under ``/v5``, API-key auth, errors and access log."""

from __future__ import annotations

import hmac
import logging
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import files
from .errors import ApiProblem
from .idempotency import IdempotencyMiddleware
from .judging import Runtime
from .limits import BodyLimitMiddleware, Limits
from .limits import SafeJSONResponse as JSONResponse
from .otlp import OtlpIngest
from .providers import ProviderRegistry
from .routes import agents as agents_routes
from .routes import catalog, evaluations, otlp, toolcalls
from .routes import logging as logging_routes
from .routes.files import file_router, paths_router
from .sandbox import Sandbox
from .serving import Draining
from .store import Conflict, Store
from .worker import Worker

logger = logging.getLogger("humanloop_core.server")

# FastAPI wraps deferred-build body models in Annotated[..., Field(alias="body")] when it first
# validates one; pydantic warns that the alias is unused. Harmless, and not ours to fix.
warnings.filterwarnings("ignore", message="The 'alias' attribute with value 'body'")

API_PREFIX = "/v5"
# Reachable without a key: liveness and the API description.
_OPEN_PATHS = {"/healthz", f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"}


def printable_path(path: str) -> str:
    """The request path for one log line: a decoded ``%0a`` (or any control character)
    is written as an escape, so no request can forge a line of its own."""
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


class AccessMiddleware:
    """Checks ``X-API-KEY`` and writes one log line per request. Pure ASGI, so streamed
    responses pass through untouched; the line never includes headers or the query."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        # Every response names its request, so a client error and this log line can be
        # matched up (the client surfaces it as ``ApiError.request_id``).
        request_id = uuid.uuid4().hex

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if scope["path"] in _OPEN_PATHS or self._authorised(scope):
                await self.app(scope, receive, send_status)
            else:
                await JSONResponse(
                    {"detail": "missing or invalid API key: send it in the X-API-KEY header"}, 401
                )(scope, receive, send_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.info("%s %s %d %.1fms %s", scope["method"], printable_path(scope["path"]), status,
                        elapsed, request_id)

    def _authorised(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                return hmac.compare_digest(value, self._key)
        return False


def _validation_detail(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only the spec's fields: the raw input may be large, and ctx may hold exceptions.
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, exc.status, headers=exc.headers)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        # Another request holds the key this write needed (or removed its file) first.
        return JSONResponse({"detail": str(exc)}, 409)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_detail(exc)}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such operation: {request.method} {request.url.path}"
        return JSONResponse({"detail": detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        # Logged here with the traceback; the client gets no internals.
        logger.exception("unhandled error in %s %s", request.method, printable_path(request.url.path))
        return JSONResponse({"detail": "internal server error"}, 500)


def create_app(store: Store, api_key: str, providers: ProviderRegistry | None = None,
               mock_chunk_delay: float = 0.0, sandbox: Sandbox | None = None,
               limits: Limits | None = None) -> FastAPI:
    """A Humanloop v5 compatible application over ``store``.

    Args:
        store: Where files, versions and logs live.
        api_key: The key every request must send in ``X-API-KEY``.
        providers: Model providers by name; defaults to ``mock`` and ``openai``.
        mock_chunk_delay: Seconds the default mock provider waits before each chunk.
        sandbox: Where user code runs (code evaluators, code tools); a default one if omitted.
        limits: Bounds on request bodies; :class:`Limits` defaults when omitted.

    The evaluation worker (monitoring, runs, server-side evaluators) runs for the app's
    lifespan: serve it with lifespan events on.
    """
    registry = providers or ProviderRegistry.default(mock_chunk_delay)
    worker = Worker(Runtime(store, registry, sandbox or Sandbox()))
    draining = Draining()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        try:
            yield
        finally:
            await draining.wait()  # cancelled streams storing their logs (serving.py)
            await worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Humanloop-compatible server (humanloop-core)",
        version="5",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.providers = registry
    app.state.worker = worker
    app.state.draining = draining
    # The call and log routes first: the router tries routes in order, and matching each
    # costs a regex and FastAPI's scope bookkeeping (~95 routes before prompts.call cost
    # more than the call's own storage). No path of theirs is served by a later route.
    app.include_router(logging_routes.router, prefix=API_PREFIX)
    for kind in files.KINDS.values():
        app.include_router(file_router(kind), prefix=API_PREFIX)
    app.include_router(paths_router, prefix=API_PREFIX)
    app.include_router(agents_routes.router, prefix=API_PREFIX)
    app.include_router(toolcalls.router, prefix=API_PREFIX)
    app.include_router(catalog.router, prefix=API_PREFIX)
    app.include_router(evaluations.router, prefix=API_PREFIX)
    # OTLP paths are absolute: /v1/traces is where every OTLP exporter sends by default.
    app.state.otlp = OtlpIngest(store)
    app.include_router(otlp.router)

    # Async on purpose: it answers on the loop itself, never queued behind storage work
    # that fills the thread pool, so it measures whether the server is responsive.
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    _install_error_handlers(app)
    # Added last = outermost: auth and the access log wrap idempotent replays too.
    app.add_middleware(IdempotencyMiddleware, store=store)
    app.add_middleware(BodyLimitMiddleware, limits=limits or Limits())
    app.add_middleware(AccessMiddleware, api_key=api_key)
    return app
