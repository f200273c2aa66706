"""The pure operation builders: what each method would send, without sending it."""

from __future__ import annotations

from datetime import datetime, timezone

from humanloop_core.resources import _files, datasets, logs, prompts


def test_ids_are_quoted_into_the_path() -> None:
    op = _files.get_op(prompts.KIND, "a/b?c")
    assert op.path == "/prompts/a%2Fb%3Fc" and op.name == "prompts.get"


def test_list_builds_each_page_with_the_same_filters() -> None:
    pages = logs._list("fl_1", size=5, start_date=datetime(2024, 1, 2, tzinfo=timezone.utc))
    first, third = pages.make_op(1), pages.make_op(3)
    assert first.params == {"file_id": "fl_1", "size": 5,
                            "start_date": "2024-01-02T00:00:00+00:00", "page": 1}
    assert third.params is not None and third.params["page"] == 3
    assert (pages.page, pages.size) == (None, 5)


def test_logs_delete_repeats_the_id_parameter() -> None:
    assert logs._delete(["a", "b"]).params == {"id": ["a", "b"]}
    assert logs._delete("a").params == {"id": ["a"]}


def test_dataset_get_adds_include_datapoints() -> None:
    op = datasets._get("ds_1", version_id="v", include_datapoints=True)
    assert op.path == "/datasets/ds_1"
    assert op.params == {"version_id": "v", "environment": None, "include_datapoints": True}


def test_upsert_splits_query_and_body() -> None:
    op = datasets._upsert(datapoints=[{"inputs": {"a": "b"}}], version_id="v", path="d")
    assert op.params == {"version_id": "v"}
    assert op.json == {"datapoints": [{"inputs": {"a": "b"}}], "path": "d"}


def test_log_datetimes_are_iso_strings_in_the_body() -> None:
    when = datetime(2024, 7, 19, 0, 29, 35, tzinfo=timezone.utc)
    op = prompts._log(path="p", created_at=when, prompt_log_request_environment="prod")
    assert op.json == {"path": "p", "created_at": "2024-07-19T00:29:35Z", "environment": "prod"}
    assert op.path == "/prompts/log" and op.name == "prompts.log"
