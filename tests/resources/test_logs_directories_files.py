"""logs.*, directories.* and files.* against the local server, sync and async."""

from __future__ import annotations

import pytest

from humanloop_core import NotFoundError
from humanloop_core.types import (
    DirectoryResponse,
    DirectoryWithParentsAndChildrenResponse,
    PromptLogResponse,
    PromptResponse,
)
from tests.resources.conftest import MOCK_KERNEL, Api


async def test_logs_list_get_delete(hl: Api, prompt: PromptResponse) -> None:
    ids = []
    for i in range(3):
        created = await hl.prompts.log(id=prompt.id, output=f"out {i}", metadata={"i": i})
        ids.append(created.id)
    pager = await hl.logs.list(file_id=prompt.id, size=2)
    listed = await hl.items(pager)
    assert sorted(log.id for log in listed) == sorted(ids)
    assert all(isinstance(log, PromptLogResponse) for log in listed)
    one = await hl.logs.get(ids[0])
    assert one.output == "out 0"
    await hl.logs.delete(id=ids[:2])
    with pytest.raises(NotFoundError):
        await hl.logs.get(ids[0])
    await hl.logs.delete(ids[2])
    assert await hl.items(await hl.logs.list(file_id=prompt.id)) == []


async def test_directories_crud(hl: Api, unique_path: str) -> None:
    created = await hl.directories.create(path=unique_path)
    assert isinstance(created, DirectoryResponse) and created.path == unique_path
    await hl.prompts.upsert(path=f"{unique_path}/inside", **MOCK_KERNEL)
    child = await hl.directories.create(name="child", parent_id=created.id)
    assert child.path == f"{unique_path}/child"
    tree = await hl.directories.get(created.id)
    assert isinstance(tree, DirectoryWithParentsAndChildrenResponse)
    assert [d.id for d in tree.subdirectories] == [child.id]
    assert [f.path for f in tree.files] == [f"{unique_path}/inside"]
    renamed = await hl.directories.update(child.id, name="kid")
    assert renamed.path == f"{unique_path}/kid"
    assert created.id in [d.id for d in await hl.directories.list()]
    await hl.directories.delete(child.id)
    with pytest.raises(NotFoundError):
        await hl.directories.get(child.id)


async def test_files_list_filters_by_type(hl: Api, unique_path: str) -> None:
    await hl.prompts.upsert(path=f"{unique_path}-a", **MOCK_KERNEL)
    await hl.tools.upsert(path=f"{unique_path}-b", function={"name": "f", "description": "d"})
    name = unique_path.rsplit("/", 1)[-1]
    both = await hl.items(await hl.files.list(name=name, size=1))
    assert sorted(f.type for f in both) == ["prompt", "tool"]
    only_tools = await hl.items(await hl.files.list(name=name, type="tool"))
    assert [f.path for f in only_tools] == [f"{unique_path}-b"]
