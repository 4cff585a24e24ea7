"""The sweep-file reference (docs/sweep-file.md) is the one generated from the config classes."""

from sweeps.definition.reference import BEGIN, END, reference
from tests.conftest import ROOT


def test_the_docs_carry_the_current_reference():
    readme = (ROOT / "docs" / "sweep-file.md").read_text()
    current = readme[readme.index(BEGIN) : readme.index(END) + len(END)]
    assert current == reference(), "regenerate it: python -m sweeps.definition.reference --write"


def test_reference_lists_every_key_of_every_family_and_data_set():
    from lightning_modules.registry import DATASETS, MODEL_FAMILIES

    text = reference()
    for entry in [*MODEL_FAMILIES.values(), *DATASETS.values()]:
        for key in entry.config.model_fields:
            assert f"| `{key}` |" in text, key
