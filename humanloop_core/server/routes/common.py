"""Pieces every router shares: the store and providers of the running app, paging, JSON."""

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..limits import MAX_PAGE
from ..limits import SafeJSONResponse as JSONResponse
from ..providers import ProviderRegistry
from ..serving import Draining
from ..store import Store

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
Size = Annotated[int, Query(ge=0, le=1000, description="Page size.")]


# Dependencies are async on purpose: FastAPI runs sync ones in the thread pool, and a
# thread hop per dependency costs more than the lookup itself.
async def store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


async def providers(request: Request) -> ProviderRegistry:
    return request.app.state.providers  # type: ignore[no-any-return]


async def draining(request: Request) -> Draining:
    return request.app.state.draining  # type: ignore[no-any-return]


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def no_content() -> Response:
    return Response(status_code=204)


def page_of(records: list[Any], page: int, size: int, total: int) -> dict[str, Any]:
    return {"records": records, "page": page, "size": size, "total": total}


async def off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking store-bound function in the thread pool, keeping the loop free."""
    return await run_in_threadpool(fn, *args, **kwargs)


DB = Annotated[Store, Depends(store)]
Providers = Annotated[ProviderRegistry, Depends(providers)]
Drain = Annotated[Draining, Depends(draining)]
