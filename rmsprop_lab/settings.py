"""Settings schemas: typed, validated, and round-tripped through URL query parameters and files.

A page declares its settings once, as a ``Schema`` of ``Param``s (see ``schemas.py``); its widgets,
its URL and its settings file all take their options from that declaration. ``parse_query`` turns
untrusted query values (strings) into a complete, valid settings dict, falling back to defaults
with a short notice for anything malformed or out of range; ``to_query`` writes only the values
that differ from the defaults. Nothing here renders anything: notices quote user text only through
``quote_user_text``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .options import nearest_option

MAX_QUERY_VALUE_LENGTH = 400  # a formula, or eight mission hazards
MAX_DOCUMENT_BYTES = 64 * 1024
#: a file or a URL may hold thousands of bad entries: this many are named, the rest counted
MAX_NAMED = 3
MAX_PROBLEMS = 4
DOCUMENT_APP = "rmsprop-lab"
DOCUMENT_VERSION = 1


def quote_user_text(text: str, limit: int = 40) -> str:
    """User text made safe to show inside Streamlit markdown: a code span, no backticks, short."""
    if isinstance(text, int) and abs(text) >= 10**20:
        return "a number too large to show"  # str() of a 4301-digit int raises
    cleaned = "".join(ch for ch in str(text) if ch.isprintable() and ch != "`")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return f"`{cleaned}`" if cleaned else "an empty value"


def named_few(texts, limit: int = MAX_NAMED, width: int = 20) -> str:
    """The first ``limit`` of ``texts`` quoted, and how many more there are ("`a`, `b` and 7 more")."""
    shown = ", ".join(quote_user_text(text, width) for text in texts[:limit])
    return shown if len(texts) <= limit else f"{shown} and {len(texts) - limit} more"


@dataclass(frozen=True)
class Param:
    """One setting: its URL key, kind and allowed values.

    ``kind``: "choice" (one of ``choices``), "ladder" (a float snapped to the nearest of
    ``choices``, refused outside their range), "ladders" (a sorted set of at most ``high`` ladder
    values, written "0.5,0.9"), "bool", "int" / "float" (within ``low``..``high``), "text"
    (printable; ``check`` may refuse it or normalise it).
    ``default`` is a value or a function of the page's first setting (the function or the preset).
    ``follows``: reset to its default when that first setting changes.
    """

    key: str
    kind: str
    default: object
    choices: tuple = ()
    low: float = -math.inf
    high: float = math.inf
    follows: bool = False
    #: for "text": the value checked and normalised, or ValueError with a short reason
    check: Callable[[str], str] | None = None

    def default_for(self, subject: str):
        return self.default(subject) if callable(self.default) else self.default

    def parse(self, text: str):
        """The value for untrusted ``text``; raises ValueError with a short reason."""
        if len(text) > MAX_QUERY_VALUE_LENGTH:
            raise ValueError("is too long")
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError("is not one of the choices")
            return text
        if self.kind == "text":
            if not text.isprintable():
                raise ValueError("contains control characters")
            return self.check(text) if self.check is not None else text
        if self.kind == "ladders":
            values = {self._ladder_value(part) for part in text.split(",") if part.strip()}
            if len(values) > self.high:
                raise ValueError(f"has more than {self.high:g} values")
            return tuple(sorted(values))
        if self.kind == "bool":
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError("is not true or false")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        if self.kind == "ladder":
            return self._ladder_value(text)
        if not self.low <= number <= self.high:
            raise ValueError(f"is outside {self.low:g} … {self.high:g}")
        if self.kind == "int":
            if number != int(number):
                raise ValueError("is not a whole number")
            return int(number)
        return number

    def _ladder_value(self, text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise ValueError("is not a number") from None
        if not self.choices[0] <= number <= self.choices[-1]:  # also refuses nan
            raise ValueError(f"is outside {self.choices[0]:g} … {self.choices[-1]:g}")
        return nearest_option(number, self.choices)

    def format(self, value) -> str:
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "ladders":
            return ",".join(f"{v:g}" for v in value)
        if self.kind in ("choice", "text"):
            return str(value)
        if self.kind == "int":
            return str(int(value))
        return repr(float(value))


@dataclass(frozen=True)
class Schema:
    params: tuple[Param, ...]
    #: cross-field check: (settings) -> notices, fixing the settings in place
    cross_check: Callable[[dict], list[str]] | None = None

    def __post_init__(self):
        assert self.params[0].kind == "choice" or not any(p.follows for p in self.params), (
            "settings follow the first setting (function or preset), which is a choice"
        )

    @property
    def subject(self) -> str:
        """The key of the first setting, the one other defaults follow ("objective", "preset")."""
        return self.params[0].key

    def by_key(self) -> dict[str, Param]:
        return {param.key: param for param in self.params}

    def defaults(self, subject: str | None = None) -> dict:
        subject = self.params[0].default if subject is None else subject
        return {param.key: param.default_for(subject) for param in self.params}

    def corrected(self, settings: Mapping[str, object]) -> tuple[dict, list[str]]:
        """A copy of complete ``settings`` after the cross-field check, and a notice for each
        correction it made."""
        checked = dict(settings)
        notices = self.cross_check(checked) if self.cross_check is not None else []
        return checked, notices

    def _complete(self, values: dict) -> tuple[dict, list[str]]:
        """All settings: the validated ``values`` over the defaults of their subject, then the
        cross-field check (which may correct settings and says so in its notices)."""
        settings = self.defaults(values.get(self.subject))
        settings.update(values)
        return self.corrected(settings)

    def parse_query(self, query: Mapping[str, object]) -> tuple[dict, list[str]]:
        """Validated settings from untrusted query values, and notices for what was refused."""
        notices: list[str] = []
        values = {}
        for param in self.params:
            raw = query.get(param.key)
            if raw is None:
                continue
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                values[param.key] = param.parse(str(raw))
            except ValueError as reason:
                notices.append(f"URL setting `{param.key}` {reason}: {quote_user_text(raw)} ignored, default used.")
        settings, cross_notices = self._complete(values)
        notices.extend(cross_notices)
        unknown = [key for key in query if key not in self.by_key()]
        if unknown:
            notices.append(f"Unknown URL setting{'s' if len(unknown) > 1 else ''} {named_few(unknown)} ignored.")
        return settings, notices

    def to_query(self, settings: Mapping[str, object]) -> dict[str, str]:
        """Only the settings that differ from their defaults, formatted for the URL."""
        defaults = self.defaults(settings[self.subject])
        return {
            param.key: param.format(settings[param.key])
            for param in self.params
            if param.key in settings and settings[param.key] != defaults[param.key]
        }

    def to_document(self, settings: Mapping[str, object], page: str) -> str:
        """The settings as a JSON document for "Download settings" (every setting, typed)."""
        values = {
            param.key: list(settings[param.key]) if param.kind == "ladders" else settings[param.key]
            for param in self.params
            if param.key in settings
        }
        return json.dumps(
            {"app": DOCUMENT_APP, "version": DOCUMENT_VERSION, "page": page, "settings": values},
            indent=2,
            sort_keys=False,
        )

    def parse_document(self, data: bytes, page: str) -> tuple[dict | None, list[str]]:
        """Settings from an uploaded JSON document, or ``None`` and the problems found (the file is
        then refused whole: a half-applied file would be worse than none)."""
        if len(data) > MAX_DOCUMENT_BYTES:
            return None, [f"The file is larger than {MAX_DOCUMENT_BYTES // 1024} KB."]
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            return None, [f"The file is not valid JSON ({type(error).__name__})."]
        except ValueError:  # an integer of more digits than Python converts
            return None, ["The file holds a number with more than 4300 digits, far beyond any setting."]
        if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
            return None, ['The file must be a JSON object with a "settings" object inside.']
        if document.get("app") != DOCUMENT_APP or document.get("page") != page:
            return None, [f"This is not a RMSProp Lab settings file for the {page} page."]
        problems: list[str] = []
        values: dict = {}
        params = self.by_key()
        unknown = [name for name in document["settings"] if name not in params]
        if unknown:
            problems.append(f"{len(unknown)} unknown setting{'s' if len(unknown) > 1 else ''}: {named_few(unknown)}.")
        for name, value in document["settings"].items():
            param = params.get(name)
            if param is None:
                continue
            expected = {"bool": (bool,), "int": (int,), "text": (str,), "choice": (str,), "ladders": (list,)}.get(
                param.kind, (int, float)
            )
            if not isinstance(value, expected) or (isinstance(value, bool) and param.kind != "bool"):
                problems.append(f"Setting `{name}` has the wrong type ({type(value).__name__}).")
                continue
            if param.kind == "ladders" and not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
            ):
                problems.append(f"Setting `{name}` must be a list of numbers.")
                continue
            items = value if param.kind == "ladders" else [value]
            text = ",".join(_file_text(param, item) for item in items)
            try:
                values[name] = param.parse(text)
            except ValueError as reason:
                problems.append(f"Setting `{name}` {reason}: {quote_user_text(value)}.")
        if len(problems) > MAX_PROBLEMS + 1:  # "1 more problem." would be no shorter than the problem
            problems = [*problems[:MAX_PROBLEMS], f"{len(problems) - MAX_PROBLEMS} more problems."]
        if problems:
            return None, problems
        settings, notices = self._complete(values)
        return (None, notices) if notices else (settings, [])

    def with_subject(self, settings: Mapping[str, object], subject: str) -> dict:
        """Settings with a new first setting (function or preset) and its defaults for the
        settings that follow it."""
        updated = dict(settings)
        updated[self.subject] = subject
        for param in self.params:
            if param.follows:
                updated[param.key] = param.default_for(subject)
        return updated


def _file_text(param: Param, value) -> str:
    """A typed JSON value as the text ``Param.parse`` reads (JSON booleans are true/false)."""
    if param.kind == "bool":
        return "1" if value else "0"
    if isinstance(value, int) and abs(value) >= 10**20:
        return "inf"  # a huge integer is out of range whatever it is; str() of one can take ages
    return str(value)
