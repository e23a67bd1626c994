"""Standing fuzz (issue 15): any input to the spec parser, the component registries and the study
validator gives a result or a one-line ``GradlabError`` — never another exception."""

import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab.components.activations import create_activation
from gradlab.components.init import create_init
from gradlab.components.spec import canonical, parse_spec
from gradlab.errors import GradlabError
from gradlab.study.spec import SECTIONS, TOP_KEYS, load_study

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(["relu", "leaky_relu", "elu", "normal", "constant", "uniform", "he_normal",
                         "orthogonal", "adam", "x", "_", "a.b", "prelu", "selu"])
NUMBERS = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from(["1e400", "-1e400", "nan", "inf", "-inf", "0", "-0.0"]))
LITERAL = st.recursive(
    st.one_of(NUMBERS.map(str), st.text(max_size=5).map(repr), st.sampled_from(
        ["True", "None", "fan_out", "x", "[]", "()", "{}"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
                            st.lists(inner, max_size=3).map(lambda v: "(" + ", ".join(v) + ",)"),
                            st.tuples(inner, inner).map(lambda kv: "{" + f"{kv[0]}: {kv[1]}" + "}")),
    max_leaves=6,
)
CALLS = st.builds(
    lambda name, args, kwargs: f"{name}({', '.join(args + [f'{k}={v}' for k, v in kwargs])})",
    NAMES, st.lists(LITERAL, max_size=3),
    st.lists(st.tuples(st.sampled_from(["negative_slope", "std", "mode", "eps", "betas", "gain", "a"]),
                       LITERAL), max_size=2, unique_by=lambda kv: kv[0]))
SPECS = st.one_of(st.text(max_size=60), st.text(alphabet=string.printable, max_size=60), CALLS,
                  st.binary(max_size=20).map(lambda b: b.decode("latin-1")))


def _one_line(exc: GradlabError) -> None:
    text = str(exc)
    assert text and "\n" not in text and len(text) < 2000, text


@FUZZ
@given(SPECS)
def test_fuzz_spec_parser_gives_a_spec_or_one_line_error(text):
    try:
        spec = parse_spec(text)
    except GradlabError as exc:
        _one_line(exc)
        return
    # what parses, prints canonically and parses back to the same thing
    assert canonical(canonical(text)) == canonical(text)
    assert str(parse_spec(str(spec))) == str(spec)  # (a NaN argument is never == itself)


@FUZZ
@given(st.one_of(CALLS, SPECS))
def test_fuzz_component_registries_build_or_one_line_error(text):
    for create in (create_activation, create_init):
        try:
            create(text)
        except GradlabError as exc:
            _one_line(exc)


VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(),
              st.text(max_size=8), NAMES, CALLS),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
KEYS = st.one_of(st.sampled_from([*TOP_KEYS, "model.act", "train.lr", "train.epochs", "model.hidden",
                                  "task.name", "mode", "samples", "metric", "baseline"]),
                 st.text(max_size=8))
STUDIES = st.dictionaries(
    KEYS, st.one_of(VALUES, st.dictionaries(KEYS, VALUES, max_size=4)), max_size=6
).map(lambda d: {"name": "fuzz", **d} if "name" not in d else d)


@FUZZ
@given(STUDIES)
def test_fuzz_study_validator_gives_a_study_or_one_line_error(data):
    try:
        study = load_study(data)
    except GradlabError as exc:
        _one_line(exc)
        return
    assert set(study.config) <= set(SECTIONS)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_fuzz_study_file_text_gives_a_study_or_one_line_error(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        try:
            load_study(path)
        except GradlabError as exc:
            _one_line(exc)
