"""Version operations of the client (sync and async): retrieve by path, name, describe,
delete, and ``log_id`` on a call, against the local server."""

from __future__ import annotations

import pytest

from humanloop_core import ConflictError, NotFoundError, RequestValidationError
from humanloop_core.types import DatasetResponse, PromptResponse, ToolResponse
from tests.resources.conftest import MOCK_KERNEL, Api

TOOL = {"name": "get_weather", "description": "d", "parameters": {"type": "object", "properties": {}}}


async def test_retrieve_by_path_gives_the_right_kind(hl: Api, unique_path: str) -> None:
    prompt = await hl.prompts.upsert(path=f"{unique_path}/p", **MOCK_KERNEL)
    tool = await hl.tools.upsert(path=f"{unique_path}/t", function=TOOL)
    data = await hl.datasets.upsert(path=f"{unique_path}/d", datapoints=[{"inputs": {"q": "1"}}])
    found = await hl.files.retrieve_by_path(path=f"{unique_path}/p")
    assert isinstance(found, PromptResponse) and found.version_id == prompt.version_id
    assert isinstance(await hl.files.retrieve_by_path(path=f"{unique_path}/t"), ToolResponse)
    got = await hl.files.retrieve_by_path(path=f"{unique_path}/d", version_id=data.version_id)
    assert isinstance(got, DatasetResponse) and got.id == data.id
    await hl.tools.set_deployment(tool.id, "staging", version_id=tool.version_id)
    staged = await hl.files.retrieve_by_path(path=f"{unique_path}/t", environment="staging")
    assert staged.version_id == tool.version_id
    with pytest.raises(NotFoundError):
        await hl.files.retrieve_by_path(path=f"{unique_path}/nothing")


async def test_update_and_delete_a_version(hl: Api, unique_path: str) -> None:
    v1 = await hl.prompts.upsert(path=unique_path, **MOCK_KERNEL)
    v2 = await hl.prompts.upsert(path=unique_path, temperature=0.3, **MOCK_KERNEL)
    named = await hl.prompts.update_version(v1.id, v1.version_id, name="baseline",
                                            description="the first")
    assert isinstance(named, PromptResponse)
    assert (named.version_name, named.version_description) == ("baseline", "the first")
    with pytest.raises(ConflictError, match="baseline"):
        await hl.prompts.patch_prompt_version(v1.id, v2.version_id, name="baseline")
    with pytest.raises(RequestValidationError):
        await hl.prompts.update_version(v1.id, v2.version_id)
    await hl.prompts.delete_prompt_version(v1.id, v1.version_id)
    versions = await hl.prompts.list_versions(v1.id)
    assert [v.version_id for v in versions.records] == [v2.version_id]
    with pytest.raises(ConflictError, match="last version"):
        await hl.prompts.delete_version(v1.id, v2.version_id)


async def test_a_call_names_its_log(hl: Api, unique_path: str) -> None:
    await hl.prompts.upsert(path=unique_path, **MOCK_KERNEL)
    called = await hl.prompts.call(path=unique_path, messages=[{"role": "user", "content": "hi"}])
    assert called.log_id == called.id
    assert (await hl.logs.get(called.log_id)).id == called.id


async def test_upsert_names_and_describes_the_version(hl: Api, unique_path: str) -> None:
    v1 = await hl.prompts.upsert(path=unique_path, version_name="baseline",
                                 version_description="the first", **MOCK_KERNEL)
    assert (v1.version_name, v1.version_description) == ("baseline", "the first")
    with pytest.raises(ConflictError, match="baseline"):
        await hl.prompts.upsert(path=unique_path, version_name="baseline", temperature=0.1,
                                **MOCK_KERNEL)
    data = await hl.datasets.upsert(path=unique_path + "-d", version_name="v1",
                                    datapoints=[{"inputs": {"q": "1"}}])
    assert data.version_name == "v1"
