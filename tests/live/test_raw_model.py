"""`Run.raw_model`: the generated model of the run as loaded, typed, for fields that
queries/ select and `Run` does not surface (README: "When the schema changes")."""

from __future__ import annotations

from runsapi_generated.fragments import FullRunFragment, LightRunFragment

from runsapi._sync.api import Api
from tests.live.conftest import PROJECT


def test_raw_model_is_the_fragment_the_run_was_loaded_with(api: Api) -> None:
    listed = api.runs(PROJECT)[0]
    assert type(listed.raw_model) is LightRunFragment
    assert listed.raw_model.name == listed.id
    listed.load_full_data()
    assert type(listed.raw_model) is FullRunFragment
    loaded = api.run(f"{PROJECT}/{listed.id}")
    assert isinstance(loaded.raw_model, FullRunFragment)
    assert loaded.raw_model.display_name == loaded.name
    assert loaded.raw_model.created_at == listed.raw_model.created_at
