"""The claims.json format: one JSON Schema (draft 2020-12), lth/schemas/claims.schema.json.

The plugin validates a claims document before it writes it (lth.results.write_document) and
the report validates it when it reads it (lth.page.load_claims). ``validate(doc)`` raises
``SchemaError`` with ONE line naming the field, for example
``claims[3].p_value: 'abc' is not of type 'number' or null (claim MNIST-3)``.

Non-finite numbers: ``jsonable`` turns NaN and infinities into null before a document is
written, so claims.json is strict JSON that any parser reads. Readers still accept the NaN and
Infinity tokens of older files (Python's json reads them as floats, which are numbers to the
schema); the report shows null and non-finite values alike, as missing.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_PATH", "SchemaError", "schema", "validate", "field_path", "jsonable"]

SCHEMA_PATH = Path(__file__).parent / "schemas" / "claims.schema.json"

# which error to report when there are several: the shallowest, then the first in the document,
# then by keyword (a missing key before a wrong type, a wrong type before a wrong value)
_PRIORITY = {"required": 0, "type": 1, "enum": 2, "const": 3, "additionalProperties": 4, "not": 5}


class SchemaError(ValueError):
    """A claims document does not follow the schema. ``path`` is the field ('claims[3].p_value',
    '' for the document itself), ``problem`` what is wrong with it; the message is one line."""

    def __init__(self, path: str, problem: str, claim_id: str | None = None):
        self.path, self.problem, self.claim_id = path, problem, claim_id
        text = f"{path}: {problem}" if path else problem
        super().__init__(text + (f" (claim {claim_id})" if claim_id else ""))


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def schema() -> dict:
    """The JSON Schema of claims.json, as a fresh dict."""
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def validate(doc: Any) -> None:
    """Raise SchemaError naming the first field of ``doc`` that does not follow the schema."""
    errors = list(_validator().iter_errors(doc))
    if errors:
        best = min(errors, key=lambda e: (len(e.absolute_path), [_order(p) for p in e.absolute_path],
                                          _PRIORITY.get(e.validator, 9)))
        path = list(best.absolute_path)
        if best.validator == "required":  # name every key missing there, not only the first
            missing: list[str] = []
            for e in errors:
                if e.validator == "required" and list(e.absolute_path) == path:
                    missing += [k for k in e.validator_value if k not in e.instance and k not in missing]
            problem = f"missing required key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        elif best.validator == "not" and best.validator_value == {"required": ["error"]}:
            path.append("error")
            problem = (f"present, but the verdict is {best.instance.get('verdict')!r}; "
                       "only a claim with verdict 'error' carries one")
        else:
            problem = _problem(best)
        raise SchemaError(field_path(path), problem, _claim_id(doc, path))
    seen: dict[str, int] = {}
    for i, c in enumerate(doc["claims"]):
        if c["id"] in seen:
            raise SchemaError(f"claims[{i}].id", f"{c['id']!r} repeats claims[{seen[c['id']]}].id")
        seen[c["id"]] = i


def field_path(parts: list) -> str:
    """['claims', 3, 'p_value'] -> 'claims[3].p_value'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def jsonable(value: Any) -> Any:
    """``value`` as JSON data: numpy scalars and arrays, tensors and tuples as plain numbers and
    lists, dict keys as strings, and every non-finite float (NaN, infinities) as None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy scalars and arrays, torch tensors
        return jsonable(value.tolist())
    try:
        return jsonable(float(value))
    except (TypeError, ValueError):
        raise TypeError(f"{type(value).__name__} is not JSON data: {value!r:.80}") from None


# --------------------------------------------------------------------------- messages

def _order(p) -> tuple:
    return (0, p, "") if isinstance(p, int) else (1, 0, str(p))


def _claim_id(doc: Any, path: list) -> str | None:
    if len(path) >= 2 and path[0] == "claims" and isinstance(path[1], int) and isinstance(doc, dict):
        claim = doc["claims"][path[1]]
        if isinstance(claim, dict) and isinstance(claim.get("id"), str) and path[2:] != ["id"]:
            return claim["id"]
    return None


def _show(value: Any) -> str:
    """A value in a message: short, on one line."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    text = repr(value)
    if isinstance(value, (dict, list)) and len(text) > 40:
        n = len(value)
        return f"an object with {n} key{'s' if n != 1 else ''}" if isinstance(value, dict) else \
            f"an array of {n} item{'s' if n != 1 else ''}"
    return text if len(text) <= 60 else text[:57] + "..."


def _types(t: str | list) -> str:
    names = [t] if isinstance(t, str) else list(t)
    main = [repr(n) for n in names if n != "null"]
    return " or ".join(main) + (" or null" if "null" in names else "")


def _problem(e) -> str:
    v, want, got = e.validator, e.validator_value, e.instance
    if v == "type":
        return f"{_show(got)} is not of type {_types(want)}"
    if v == "enum":
        return f"{_show(got)} is not one of {', '.join(map(repr, want))}"
    if v == "const":
        return f"{_show(got)} is not {want!r}"
    if v == "additionalProperties":
        props, patterns = e.schema.get("properties", {}), e.schema.get("patternProperties", {})
        extra = [k for k in got if k not in props and not any(re.search(p, k) for p in patterns)]
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
    if v in ("minItems", "maxItems"):
        lo, hi = e.schema.get("minItems"), e.schema.get("maxItems")
        expected = f"exactly {lo}" if lo == hi else f"at least {lo}" if v == "minItems" else f"at most {hi}"
        return f"{len(got)} item{'s' if len(got) != 1 else ''}, expected {expected}"
    if v == "minLength" and want == 1:
        return "is empty"
    bounds = {"minimum": "below the minimum", "maximum": "above the maximum",
              "exclusiveMinimum": "not above", "exclusiveMaximum": "not below"}
    if v in bounds:
        return f"{_show(got)} is {bounds[v]} {want!r}"
    first = str(e.message).splitlines()[0] if e.message else v
    return first if len(first) <= 160 else first[:157] + "..."
