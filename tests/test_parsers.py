"""The API's JSON depth check (skillsite/parsers.py), on raw bytes."""

import json

import pytest

from skillsite.parsers import nesting_exceeds


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(("levels", "exceeds"), [(0, False), (1, False), (64, False), (65, True), (100_000, True)])
def test_depth_is_counted_in_arrays_and_objects(levels, exceeds):
    assert nesting_exceeds(nested(levels), 64) is exceeds
    assert nesting_exceeds(b'{"a": ' * levels + b"1" + b"}" * levels, 64) is exceeds


def test_brackets_inside_strings_do_not_count():
    body = json.dumps([{"text": "[[[[{{{{" * 20, "more": "]]]]}}}}"}]).encode()
    assert not nesting_exceeds(body, 2)
    assert nesting_exceeds(body, 1)


def test_an_escaped_quote_does_not_end_a_string():
    # Were \" taken for the string's end, the brackets after it would count: 30 levels.
    body = json.dumps({"text": 'say "' + "[" * 30 + '"'}).encode()
    assert b'\\"' in body
    assert not nesting_exceeds(body, 1)


def test_an_escaped_backslash_before_a_quote_ends_the_string():
    body = json.dumps({"path": "C:\\", "list": [[1]]}).encode()  # the value ends in \\ then "
    assert not nesting_exceeds(body, 3)
    assert nesting_exceeds(body, 2)
