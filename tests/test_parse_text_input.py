"""Text (``str``) given to ``loads`` or ``validate`` is read as its UTF-8 would be: a character
that has no UTF-8 form is a parse error naming its byte, as invalid bytes are."""

from __future__ import annotations

import pytest

import milo_codec
from milo_codec import ParseError


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"a": "\ud800"}', "byte 7: a lone surrogate (U+D800)"),
        ('{"é": "\udcff"}', "byte 8: a lone surrogate (U+DCFF)"),
    ],
)
def test_a_lone_surrogate_in_text_is_a_parse_error(text: str, where: str) -> None:
    with pytest.raises(ParseError) as info:
        milo_codec.loads(text)
    assert str(info.value.problems[0]).startswith(f"$: {where} has no UTF-8 form")
    report = milo_codec.validate(text)
    assert not report.ok
    assert report.problems[0].message.startswith(where)


def test_an_escaped_lone_surrogate_keeps_its_message() -> None:
    with pytest.raises(ParseError) as info:
        milo_codec.loads('"\\ud800"')
    assert str(info.value.problems[0]) == "$: unexpected end of hex escape at line 1 column 8"
