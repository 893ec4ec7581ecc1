import pytest
from pydantic import ValidationError

from kundportal.core.schemas import InputSchema


class Sample(InputSchema):
    name: str = ""
    slugs: list[str] = []
    extra: dict[str, str] = {}


@pytest.mark.parametrize(
    "data",
    [{"name": "a\x00b"}, {"slugs": ["ok", "b\x00"]}, {"extra": {"k": "v\x00"}}, {"extra": {"k\x00": "v"}}],
)
def test_nul_is_refused_at_any_depth(data):
    with pytest.raises(ValidationError, match="Null characters are not allowed"):
        Sample(**data)


def test_ordinary_input_passes():
    assert Sample(name="Åsa", slugs=["cad"], extra={"k": "v"}).slugs == ["cad"]
