"""Component spec strings: ``"leaky_relu(0.2)"`` <-> ``("leaky_relu", (0.2,), {})``.

A spec names a registered component and its arguments in Python call syntax, so a study file or a
command line can say ``"he_normal(mode='fan_out')"`` or ``"piecewise([5, 50], [0.1, 0.01, 0.001])"``.
Specs are parsed with :mod:`ast` and only literals are accepted: nothing is ever evaluated.
:func:`format_spec` prints the canonical form, and ``format_spec(*parse_spec(s)) == s`` holds for
every canonical string.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from gradlab.errors import SpecError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
# the longest spec accepted: real ones are a few dozen characters; a pasted file is not a spec
MAX_SPEC_CHARS = 1000


def shown(text: str, limit: int = 60) -> str:
    """``repr`` of a user's string, cut to ``limit`` characters: an error line stays one line."""
    quoted = repr(text)
    return quoted if len(quoted) <= limit else quoted[: limit - 4] + "...'"


@dataclass(frozen=True)
class Spec:
    """A parsed component spec."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return format_spec(self.name, self.args, self.kwargs)


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"malformed spec {shown(text)}: a sign needs a number")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(e, text) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:  # {**x}
                raise SpecError(f"malformed spec {shown(text)}: a dict needs literal keys")
            key = _literal(k, text)
            if not _hashable(key):  # a list, or a tuple holding one
                raise SpecError(f"malformed spec {shown(text)}: a dict key must be a number or a string")
            out[key] = _literal(v, text)
        return out
    if isinstance(node, ast.Name) and node.id in ("inf", "nan"):
        return float(node.id)
    if isinstance(node, ast.Name):
        # bare words are taken as strings: mode=fan_out is as good as mode='fan_out'
        return node.id
    raise SpecError(
        f"malformed spec {shown(text)}: only literal arguments are allowed "
        "(numbers, strings, True/False/None, lists)"
    )


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:  # a list, or a tuple holding one
        return False
    return True


def parse_spec(text: str) -> Spec:
    """Parse ``"name"`` or ``"name(arg, ..., key=value)"`` into a :class:`Spec`.

    Raises:
        SpecError: the string is not a name followed by literal arguments.
    """
    if not isinstance(text, str):
        raise SpecError(f"a spec must be a string, got {type(text).__name__}: {shown(repr(text))}")
    src = text.strip()
    if not src:
        raise SpecError("empty spec: expected a name such as 'relu' or 'leaky_relu(0.2)'")
    if len(src) > MAX_SPEC_CHARS:
        raise SpecError(f"spec {shown(src)} has {len(src):,} characters, more than the "
                        f"{MAX_SPEC_CHARS:,} a component spec may have")
    if _NAME.match(src):
        return Spec(src)
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" is the SpecError's to say
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # ValueError: NUL bytes
        why = exc.msg if isinstance(exc, SyntaxError) else "not a spec"
        raise SpecError(
            f"malformed spec {shown(text)}: {why}; expected e.g. 'leaky_relu(0.2)' or "
            "\"he_normal(mode='fan_out')\""
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise SpecError(f"malformed spec {shown(text)}: expected 'name' or 'name(arguments)'")
    name = ast.unparse(call.func)
    if not _NAME.match(name):
        raise SpecError(f"malformed spec {shown(text)}: {shown(name)} is not a component name")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        raise SpecError(f"malformed spec {shown(text)}: * and ** are not allowed")
    args = tuple(_literal(a, text) for a in call.args)
    kwargs = {k.arg: _literal(k.value, text) for k in call.keywords}
    return Spec(name, args, kwargs)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(_fmt(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_fmt(k)}: {_fmt(v)}" for k, v in value.items()) + "}"
    return repr(value)


def format_spec(name: str, args: tuple | list = (), kwargs: dict | None = None) -> str:
    """Print a spec in canonical form: ``format_spec("normal", (0, 0.01)) == "normal(0, 0.01)"``."""
    parts = [_fmt(a) for a in args] + [f"{k}={_fmt(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})" if parts else name


def non_finite(value: Any) -> bool:
    """Whether a spec argument is, or holds, a NaN or an infinity (``1e400`` parses as inf)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return any(non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(non_finite(v) for v in value.values())
    return False


def check_finite(spec: Spec, kind: str) -> None:
    """Refuse a component whose arguments hold NaN or inf: no activation slope, init scale or
    optimizer constant means anything there, and training would go straight to NaN.

    Raises:
        SpecError: naming the component, the argument and the value.
    """
    named = [(f"argument {i + 1}", v) for i, v in enumerate(spec.args)] + list(spec.kwargs.items())
    for where, value in named:
        if non_finite(value):
            raise SpecError(
                f"{kind} {shown(str(spec))}: {where} is {_fmt(value)}; component arguments must "
                "be finite numbers (1e400 is read as inf)"
            )


def canonical(text: str) -> str:
    """Return the canonical form of a spec string (``"normal(0,0.01)"`` -> ``"normal(0, 0.01)"``)."""
    s = parse_spec(text)
    return format_spec(s.name, s.args, s.kwargs)
