"""The fast paths of reading give exactly what the reference paths give, value or error.

``parse`` counts member separators with vectorised passes over the bytes and lets the
limits walk skip the integers of a text without long ones; the walk checks nested lists a
level at a time and numbers with ``sum``; ``decode_data`` converts plain numeric data in one
numpy call. Each is compared here with its reference (the regular-expression count, the
list-by-list walk, the general decoder) on crafted and mutated inputs, under several
limits: same value with the same types and bits, or the same error and path.
"""

from __future__ import annotations

import json
import random
import re
import struct
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from pydantic_core import SchemaValidator
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import milo_codec
from milo_codec import parse as parse_module
from milo_codec import parse_limits, parse_text
from milo_codec.codecs import kinds
from milo_codec.limits import Limits
from milo_codec.parse import parse
from milo_codec.values import arrays
from milo_codec.values.problems import DecodeProblem

LIMITS = [
    Limits(),
    Limits(max_depth=2),
    Limits(max_depth=3),
    Limits(max_depth=6),
    Limits(max_string_length=2),
    Limits(max_string_length=8),
    Limits(max_object_keys=3),
    Limits(max_integer_bits=8),
    Limits(max_integer_bits=59),
    Limits(max_integer_bits=60),
    Limits(max_integer_bits=64),
    Limits(max_depth=200),
]

CRAFTED = [
    b"[[1,2],[3,4]]",
    b'[[[1.5,2]],[[3,"abc"]]]',
    b"[[1.5, 123456789012345678901234567890]]",
    b"[[1.5],[123456789012345678901234567890]]",
    b"[1.5, 99999999999999999999]",
    b"[1, 99999999999999999999]",
    b"[[-9223372036854775809, 1]]",
    b"[[18446744073709551615, 18446744073709551616]]",
    b"[[1, 2], [300, 4]]",
    b"[[1.5, 3], [10, 300]]",
    b"[[1.5, true], [1, 2]]",
    b"[[true, 300]]",
    b"[[1], [true]]",
    b'[[{"a": [[1, 2]]}], [{"b": 1, "b": 2}]]',
    b'[[{"abcdefghijk": 1}]]',
    b'[["abc", "defghijklmn"]]',
    b'[[0.5], ["xxxxxxxxxxxxxxxxxxxx"]]',
    b'[[1.5, "x"], [2, [3, [4, [5, [6, [7]]]]]]]',
    b'{"a": [[[[[[[[1]]]]]]]]}',
    b"[[1,2],[3]]",
    b"[[[]],[[]]]",
    b"[[[]]]",
    b"[[[]],[[[]]]]",
    b"[[[[]]], [[1, [[]]]]]",
    b"[[], [1.5]]",
    b"[[null, 1.5]]",
    b"[[1e400]]",
    b"[1e400]",
    b"[[1.5, 1e400]]",
    b'{"k:": "v:", "\\":": [":"], "\\\\": "\\\\\\":"}',
    b'{"a": 1, "a": 1}',
    b'{"a": 1, "a": "\\u003a"}',
    b"[" * 199 + b"]" * 199,
    b"[" * 200 + b"]" * 200,
    b"[" * 201 + b"]" * 201,
    b"[" * 1100 + b"]" * 1100,
    b'[{"a":' * 150 + b"1" + b"}]" * 150,
    b'"\\ud800"',
    b'["\\ud800\\udc00"]',
    b"-0",
    b"1234567890123456789",
    b"123456789012345678901234567890",
    b'"\xff"',
    b'"\xed\xa0\x80"',
    b"\xef\xbb\xbf[1]",
    b"[1] x",
    b"",
    b" ",
    # objects of many members (a vocabulary): their values are first tried as numbers
    json.dumps({f"w{i}": i for i in range(100)}).encode(),
    json.dumps({f"w{i}": 300 if i == 70 else i % 7 for i in range(100)}).encode(),
    json.dumps({f"w{i}": 300 if i == 70 else i / 7 for i in range(100)}).encode(),
    json.dumps({f"w{i}": 2**70 if i == 70 else i / 7 for i in range(100)}).encode(),
    json.dumps({f"w{i}": "abcdefghijk" if i == 70 else i for i in range(100)}).encode(),
    json.dumps({f"w{i}": [[[1]]] if i == 70 else True for i in range(100)}).encode(),
    json.dumps({f"w{i}": {"a": {"a": [[i]]}} for i in range(100)}).encode(),
]


def _key(v: Any) -> Any:
    """A comparable form of a JSON value that tells 1 from 1.0 from True and -0.0 from 0.0."""
    t = type(v)
    if t is float:
        return ("float", struct.pack("<d", v))
    if t is list:
        return ("list", tuple(_key(x) for x in v))
    if t is dict:
        return ("dict", tuple((k, _key(x)) for k, x in v.items()))
    return (t.__name__, v)


def _outcome(data: bytes | str, limits: Limits) -> Any:
    try:
        return ("value", _key(parse(data, limits)))
    except Exception as e:  # whatever it is, both paths must raise the same
        return (type(e).__name__, str(e))


def _mutants(seeds: list[bytes], n: int) -> list[bytes]:
    rng = random.Random(0)
    alphabet = [*b'{}[]":,.-+eE0123456789 \\utrfalsenul', 0xC3, 0xA9, 0xFF]
    out = []
    for _ in range(n):
        b = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b) + 1)
            op = rng.random()
            if op < 0.3 and b:
                del b[min(i, len(b) - 1)]
            elif op < 0.6:
                b.insert(i, rng.choice(alphabet))
            elif op < 0.8 and b:
                b[min(i, len(b) - 1)] = rng.choice(alphabet)
            else:  # a copied slice: nesting, long digit runs, duplicate keys
                j = rng.randrange(len(b) + 1)
                b[i:i] = b[j : j + rng.randint(1, 40)]
        out.append(bytes(b))
    return out


def _documents() -> list[bytes]:
    X = np.random.RandomState(0).randn(30, 3)
    y = np.arange(30) % 3
    seeds = [
        milo_codec.dumps(LogisticRegression().fit(X, y)).encode(),
        milo_codec.dumps(DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)).encode(),
    ]
    # mixed objects and lists of every kind of scalar, nested at random: one nesting level
    # holds numeric data beside strings, objects and big integers
    from milo_codec.values.encode import ValueEncoder
    from milo_codec.write import to_text

    encode, rng = ValueEncoder(lambda est, path: {}), random.Random(7)
    mixed = [to_text(encode(_random_value(rng), "$")).encode() for _ in range(300)]
    return CRAFTED + seeds + _mutants(seeds, 300) + mixed


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, failed: Any) -> list:
    """Wrap ``module.name``; the list it returns grows by one each time it does not fail."""
    done: list = []
    function: Callable = getattr(module, name)

    def counted(*args: Any) -> Any:
        out = function(*args)
        if out is not failed:
            done.append(1)
        return out

    monkeypatch.setattr(module, name, counted)
    return done


def test_parse_reads_every_document_as_the_reference_paths_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = _documents()
    cases = [(d, lim) for d in docs for lim in (LIMITS if d in CRAFTED else LIMITS[::4])]
    cases += [(d.decode("utf-8", "surrogateescape"), lim) for d, lim in cases[:400]]
    facts = _counting(monkeypatch, parse_module, "text_facts", None)
    fast = [_outcome(d, lim) for d, lim in cases]
    assert len(facts) > 100  # the fast paths were taken, not only compared to themselves
    with monkeypatch.context() as m:
        m.setattr(parse_module, "text_facts", lambda raw: parse_text.TextFacts(True, None))
        m.setattr(parse_limits._Scan, "numbers", lambda self, items, first, one_list: False)
        m.setattr(
            parse_limits._Scan, "nested", lambda self, value, loc: self.walk(value, loc, True)
        )
        slow = [_outcome(d, lim) for d, lim in cases]
    differ = [(d[:80], lim) for (d, lim), a, b in zip(cases, fast, slow, strict=True) if a != b]
    assert not differ
    # the comparison covers values, limit errors and parse errors alike
    kinds = {o[0] for o in fast}
    assert {"value", "LimitError", "ParseError"} <= kinds


def test_integers_beyond_64_bits_stay_exact_integers() -> None:
    assert parse(b"[[1.5, 18446744073709551616], [-9223372036854775809]]") == [
        [1.5, 18446744073709551616],
        [-9223372036854775809],
    ]
    value = parse(b'{"state": 338460212648624707326089451043394785663}')
    assert type(value["state"]) is int


_LONG_RUN = re.compile(rb"(?:^|[^0-9.eE+])[0-9]{19}")


@pytest.mark.parametrize("chunk", [1, 7, 20, 64, parse_text.CHUNK])
def test_long_integers_are_found_across_chunk_borders(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(parse_text, "CHUNK", chunk)
    monkeypatch.setattr(parse_text, "SMALL", -1)  # the vectorised passes, whatever the size
    rng = random.Random(chunk)
    for _ in range(600):
        raw = bytes(
            rng.choice(b"0123456789012345678901234.eE+- ,[x") for _ in range(rng.randint(0, 90))
        )
        assert parse_text.text_facts(raw).long_integers == bool(_LONG_RUN.search(raw)), raw


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if depth > 3 or pick < 0.4:
        return "".join(rng.choice('ab:"\\\u00e9/') for _ in range(rng.randint(0, 6)))
    if pick < 0.6:
        return rng.choice([1, -2.5, True, None])
    if pick < 0.8:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_random_json(rng, 4): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))}


@pytest.mark.parametrize("chunk", [1, 5, parse_text.CHUNK])
def test_member_separators_are_counted_outside_strings(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(parse_text, "CHUNK", chunk)
    monkeypatch.setattr(parse_text, "SMALL", -1)
    rng = random.Random(chunk)
    strings = re.compile(rb'"(?:[^"\\]|\\.)*"')
    for _ in range(400):
        raw = json.dumps(_random_json(rng), ensure_ascii=rng.random() < 0.5).encode()
        expected = raw.count(b":") - sum(s.count(b":") for s in strings.findall(raw))
        assert parse_text.text_facts(raw).separators == expected, raw


def test_short_texts_take_bytes_methods_with_the_same_or_safer_facts() -> None:
    """Below ``SMALL`` bytes and without a backslash, the facts come from bytes methods: the
    same separator count, and never "no long integer" where the vectorised passes find one."""
    rng = random.Random(5)
    strings = re.compile(rb'"(?:[^"\\]|\\.)*"')
    taken = 0
    for _ in range(600):
        value = _random_json(rng)
        if rng.random() < 0.5:
            value = [value, rng.choice([10**18, 10**19, -(10**25), 1.5e-20, 0.1234567890123456789])]
        raw = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        if b"\\" in raw:
            continue
        taken += 1
        expected = raw.count(b":") - sum(s.count(b":") for s in strings.findall(raw))
        small = parse_text.text_facts(raw)
        assert small.separators == expected, raw
        assert small.long_integers or not _LONG_RUN.search(raw), raw
    assert taken > 200


DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
DTYPES += ["float32", "float64"]
ODD_ELEMENTS = [
    *(0, -1, 127, 128, 255, 256, -129, 32768, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1),
    *(2**64, -(2**63) - 1, 10**400, 2**60 + 2**36 + 1, -0.0, 3.5e38, 1e39, 1e308),
    *(float("inf"), 5e-324, True, False, None, "NaN", "-NaN", "Infinity", "x", [], [1], {}),
]


def _nest(flat: list, shape: tuple[int, ...]) -> Any:
    if not shape:
        return flat[0]
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _decoded(data: Any, dtype: str, shape: tuple[int, ...]) -> Any:
    try:
        a = arrays.decode_data(data, np.dtype(dtype), shape, None)
    except DecodeProblem as e:
        return ("problem", e.loc, e.message)
    return (a.dtype.str, a.shape, a.tobytes(), a.flags.c_contiguous)


def _array_cases() -> Iterator[tuple[Any, str, tuple[int, ...]]]:
    rng = random.Random(0)
    plain = {"f": [0.5, -1.25, 3.0, 2], "i": [1, 2, 0, 5], "u": [1, 2, 0, 5], "b": [True, False]}
    for _ in range(3000):
        dtype = rng.choice(DTYPES)
        shape = tuple(rng.choice([1, 2, 3]) for _ in range(rng.choice([0, 1, 2, 3])))
        flat = [rng.choice(plain[np.dtype(dtype).kind]) for _ in range(int(np.prod(shape)))]
        for _ in range(rng.choice([0, 0, 1, 2])):
            flat[rng.randrange(len(flat))] = rng.choice(ODD_ELEMENTS)
        data = _nest(flat, shape)
        if shape and rng.random() < 0.15:  # ragged, or another shape than declared
            if rng.random() < 0.5:
                data.pop()
            else:
                data[rng.randrange(len(data))] = rng.choice([[data[0]], 1.5])
        elif rng.random() < 0.1:
            shape = tuple(rng.choice([0, 1, 2]) for _ in range(rng.choice([0, 1, 2, 3])))
        yield data, dtype, shape
    # large float arrays take another check (sum, then a look at the 0.0 and 1.0 elements)
    for _ in range(300):
        shape = rng.choice([(1100,), (40, 30), (10, 11, 12)])
        pool = rng.choice([[0.5, -1.25, 3.0], [0.0, 1.0, 0.5], [0, 1, 2.5], [1.0, 0.0]])
        flat = [rng.choice(pool) for _ in range(int(np.prod(shape)))]
        for _ in range(rng.choice([0, 1, 2])):
            flat[rng.randrange(len(flat))] = rng.choice(ODD_ELEMENTS)
        yield _nest(flat, shape), rng.choice(["float32", "float64"]), shape


def test_plain_numeric_data_decodes_as_the_general_path_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = list(_array_cases())
    converted = _counting(monkeypatch, arrays, "_numeric_data", None)
    fast = [_decoded(*c) for c in cases]
    assert len(converted) > 1000
    monkeypatch.setattr(arrays, "_numeric_data", lambda data, dtype, shape: None)
    slow = [_decoded(*c) for c in cases]
    differ = [c for c, a, b in zip(cases, fast, slow, strict=True) if a != b]
    assert not differ
    assert sum(o[0] == "problem" for o in fast) > 300  # refusals were compared too


# Element kinds of generated codecs' containers, each with JSON scalars among them.
_ELEMENT_KINDS = {
    "int>=0|int64": kinds.OneOf(
        (kinds.Int(bounds=kinds.Bounds(ge=0)), kinds.NumpyScalar(dtype="int64"))
    ),
    "int in (0,1)": kinds.OneOf((kinds.Int(enum=(0, 1)),)),
    "float in [0,1]": kinds.OneOf((kinds.Float(bounds=kinds.Bounds(ge=0, le=1)),)),
    "int<0|int>5|bool": kinds.OneOf(
        (
            kinds.Int(bounds=kinds.Bounds(lt=0)),
            kinds.Int(bounds=kinds.Bounds(gt=5)),
            kinds.Bool(),
        )
    ),
    "str enums|null": kinds.OneOf(
        (kinds.Str(enum=("a", "b")), kinds.Null(), kinds.Str(enum=("c",)))
    ),
    "str pattern|float|nonfinite": kinds.OneOf(
        (kinds.Str(pattern=r"^x\d$", max_length=3), kinds.Float(), kinds.NonFinite())
    ),
}
_ELEMENTS = [
    0, 1, 2, 6, -3, True, False, None, 0.5, 1.0, -0.0, 1.5, 2**70, "a", "b", "c", "x1",
    "x12", "", {"int64": 3}, {"int64": -1}, {"float": "NaN"}, {"float": "Inf"}, [1], {},
]  # fmt: skip


def _validated(validator: Any, value: Any) -> tuple:
    try:
        out = validator.validate_python(value)
    except ValidationError as e:
        return ("error", e.errors(include_url=False))
    return ("value", repr(out), _value_types(out))


def _value_types(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _value_types(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [type(v), *(_value_types(x) for x in v)]
    return type(v)


@pytest.mark.parametrize("elements", list(_ELEMENT_KINDS), ids=str)
@pytest.mark.parametrize("container", ["list", "dict", "tuple"])
def test_containers_of_scalars_validate_as_the_tagged_union_does(
    elements: str, container: str
) -> None:
    one_of = _ELEMENT_KINDS[elements]
    kind = {
        "list": kinds.ListOf(items=one_of),
        "dict": kinds.DictOf(values=one_of),
        "tuple": kinds.TupleOf(items=one_of),
    }[container]
    quick = SchemaValidator(kind.schema())
    calls: list[Any] = []
    with pytest.MonkeyPatch.context() as m:
        # the reference: every element chosen by its tag, as before the quick pass existed
        m.setattr(kinds, "_SCALAR_TYPES", {})
        m.setattr(kinds, "value_tag", lambda v: calls.append(v) or _tag(v))
        reference = SchemaValidator(kind.schema())
    rng = random.Random(elements + container)
    refused = 0
    for _ in range(400):
        items = [rng.choice(_ELEMENTS) for _ in range(rng.choice([0, 1, 2, 3, 8]))]
        value: Any = {
            "list": items,
            "dict": {"dict": {f"k{i}": x for i, x in enumerate(items)}},
            "tuple": {"tuple": items},
        }[container]
        expected = _validated(reference, value)
        assert _validated(quick, value) == expected, value
        refused += expected[0] == "error"
    assert calls and 50 < refused < 390  # both outcomes were compared, through the union


def test_a_vocabulary_is_validated_without_python_code_per_term() -> None:
    one_of = _ELEMENT_KINDS["int>=0|int64"]
    calls: list[Any] = []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(kinds, "value_tag", lambda v: calls.append(v) or _tag(v))
        validator = SchemaValidator(kinds.DictOf(values=one_of).schema())
    vocabulary = {f"term{i}": i for i in range(1000)}
    assert validator.validate_python({"dict": vocabulary}) == vocabulary
    assert calls == []
    vocabulary["term7"] = {"int64": 7}  # another kind among them: the union decides each
    assert validator.validate_python({"dict": vocabulary})["term7"] == np.int64(7)
    assert len(calls) == 1000


def _tag(v: Any) -> str:
    return _ORIGINAL_TAG(v)


_ORIGINAL_TAG = kinds.value_tag


_PLAIN = [0, -1, 7, 2**63 - 1, 2**64 - 1, 2**64, -(2**63) - 1, 0.5, -0.0, 1e300, True, False]
_PLAIN += [None, "", "a", 'q"', "é\u0001", "\\", float("nan"), float("-inf"), np.int64(3)]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    """Containers of scalars (mostly of one type, like a vocabulary), sometimes nested."""
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(_PLAIN)
    pool = rng.sample(_PLAIN, rng.choice([1, 1, 2, 3]))
    n = rng.choice([0, 1, 3, 40])
    items = [
        _random_value(rng, depth + 1) if rng.random() < 0.05 else rng.choice(pool) for _ in range(n)
    ]
    shape = rng.choice(["list", "list", "dict", "dict", "tuple"])
    if shape == "dict":
        return {f"k{i}" + rng.choice(["", "é", '"']): x for i, x in enumerate(items)}
    return tuple(items) if shape == "tuple" else items


def test_writing_takes_the_same_values_and_text_with_and_without_quick_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from milo_codec import digest, write
    from milo_codec.values import encode, inline, raw
    from milo_codec.values.encode import ValueEncoder

    def no_models(est: Any, path: str) -> dict:
        raise AssertionError(path)

    def written(v: Any) -> tuple[Any, str, Any]:
        tree = ValueEncoder(no_models)(v, "$")
        parsed = parse(write.to_text(tree))
        return repr(tree), write.to_text(inline.inline_blocks(tree, {})), digest.canonical(parsed)

    rng = random.Random(6)
    values = [_random_value(rng) for _ in range(1500)]
    quick = [written(v) for v in values]
    assert sum(raw.plain_json(v) for v in values if isinstance(v, list)) > 100
    for module in (encode, inline, digest):
        monkeypatch.setattr(module, "plain_json", lambda values: False)
    monkeypatch.setattr(write, "_texts", lambda values: None)
    assert [written(v) for v in values] == quick
