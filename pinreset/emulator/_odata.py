"""OData query options as Microsoft Graph reads them: ``$filter``, ``$select``, ``$orderby``, ``$search``.

``$filter`` is tokenised and parsed by recursive descent into a predicate over one record; the record is read
through a ``lookup(record, path)`` function, so the same evaluator serves plain JSON dictionaries and entities
whose properties are computed on demand. Grammar (precedence low to high)::

    expr   := and ('or' and)*
    and    := unary ('and' unary)*
    unary  := 'not' unary | cmp
    cmp    := value (('eq'|'ne'|'gt'|'ge'|'lt'|'le') value | 'in' '(' value (',' value)* ')')?
    value  := '(' expr ')' | func '(' expr (',' expr)* ')' | literal | path
    func   := startswith | endswith | contains | tolower | toupper | isof
    literal:= 'string' (quote doubled) | number | true | false | null | GUID | DateTimeOffset

String comparisons ignore case, as the directory does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import attrs

__all__ = ["FilterError", "ParsedFilter", "parse_filter", "parse_orderby", "parse_search", "parse_select"]

Lookup = Callable[[Any, tuple[str, ...]], Any]
Predicate = Callable[[Any], Any]


class FilterError(ValueError):
    """A query option Graph would refuse (answered as 400)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<name>[A-Za-z_@][\w.@]*(?:/[A-Za-z_@][\w.@]*)*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains", "tolower", "toupper", "isof"}
# Operators and functions the directory accepts only as advanced queries (ConsistencyLevel: eventual + $count).
ADVANCED = frozenset({"ne", "not", "endswith", "contains"})
# Nesting (parentheses, function calls, 'not') beyond this is refused: the parser and the predicates it builds
# recurse once per level, and a hostile filter must get 400, not exhaust Python's stack.
MAX_DEPTH = 50


@attrs.frozen
class _Literal:
    value: Any


@attrs.frozen
class ParsedFilter:
    """A compiled ``$filter``.

    Attributes:
        predicate: ``predicate(record) -> bool``.
        used: operators and functions it uses (to enforce advanced-query rules).
        paths: property paths it reads (to check they exist).
    """

    predicate: Callable[[Any], bool]
    used: frozenset[str]
    paths: frozenset[tuple[str, ...]]


def _tokens(text: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise FilterError(f"Invalid filter clause: syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        result.append((kind, match.group(kind)))
        position = match.end()
    return result


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, datetime) or isinstance(right, datetime):
        left, right = _as_datetime(left), _as_datetime(right)
    left, right = _fold(left), _fold(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool({"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op])
    except TypeError:
        return False


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], lookup: Lookup, text: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.lookup = lookup
        self.text = text
        self.used: set[str] = set()
        self.paths: set[tuple[str, ...]] = set()
        self.depth = 0

    def _error(self, what: str) -> FilterError:
        return FilterError(f"Invalid filter clause: {what} in '{self.text}'.")

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def _keyword(self, word: str) -> bool:
        kind, value = self._peek()
        if kind == "name" and value.lower() == word:
            self.index += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if self._peek() != ("punct", value):
            found = self._peek()[1] or "the end"
            raise self._error(f"expected '{value}' but found '{found}'")
        self.index += 1

    def parse(self) -> Predicate:
        node = self.expr()
        if self.index != len(self.tokens):
            raise self._error(f"unexpected '{self._peek()[1]}'")
        return node

    def _descend(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(f"nesting deeper than {MAX_DEPTH} levels")

    def expr(self) -> Predicate:
        self._descend()
        parts = [self.conjunction()]
        while self._keyword("or"):
            parts.append(self.conjunction())
        self.depth -= 1
        if len(parts) == 1:
            return parts[0]
        return lambda r: any(p(r) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self._keyword("and"):
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda r: all(p(r) for p in parts)

    def unary(self) -> Predicate:
        if self._keyword("not"):
            self.used.add("not")
            self._descend()
            inner = self.unary()
            self.depth -= 1
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.value()
        kind, word = self._peek()
        if kind == "name" and word.lower() in _COMPARE:
            self.index += 1
            op = word.lower()
            self.used.add(op)
            right = self.value()
            return lambda r: _compare(op, left(r), right(r))
        if kind == "name" and word.lower() == "in":
            self.index += 1
            self.used.add("in")
            self._expect("(")
            options = [self.value()]
            while self._peek() == ("punct", ","):
                self.index += 1
                options.append(self.value())
            self._expect(")")
            return lambda r: any(_compare("eq", left(r), o(r)) for o in options)
        return left

    def value(self) -> Predicate:
        kind, text = self._peek()
        if kind == "end":
            raise self._error("unexpected end of expression")
        self.index += 1
        if (kind, text) == ("punct", "("):
            inner = self.expr()
            self._expect(")")
            return inner
        if kind == "string":
            literal: Any = text[1:-1].replace("''", "'")
            return lambda r: literal
        if kind == "guid":
            return lambda r: text
        if kind == "number":
            number = float(text) if "." in text else int(text)
            return lambda r: number
        if kind == "datetime":
            moment = _as_datetime(text)
            return lambda r: moment
        if kind == "name":
            lowered = text.lower()
            if lowered in ("true", "false", "null"):
                constant = {"true": True, "false": False, "null": None}[lowered]
                return lambda r: constant
            if self._peek() == ("punct", "("):
                return self.function(lowered)
            if lowered in _COMPARE or lowered in ("and", "or", "not", "in"):
                raise self._error(f"unexpected '{text}'")
            path = tuple(text.split("/"))
            self.paths.add(path)
            lookup = self.lookup
            return lambda r: lookup(r, path)
        raise self._error(f"unexpected '{text}'")

    def _isof(self, args: list[Predicate]) -> Predicate:
        return _isof_factory(self.lookup, args)

    def function(self, name: str) -> Predicate:
        if name not in _FUNCTIONS:
            raise FilterError(f"Invalid filter clause: unsupported function '{name}'.")
        self.used.add(name)
        self._expect("(")
        args = [self.expr()]
        while self._peek() == ("punct", ","):
            self.index += 1
            args.append(self.expr())
        self._expect(")")
        if name == "isof":
            return self._isof(args)
        arity = 1 if name in ("tolower", "toupper") else 2
        if len(args) != arity:
            raise FilterError(f"Invalid filter clause: {name} takes {arity} argument(s).")
        if name == "tolower":
            return lambda r: _fold(args[0](r))
        if name == "toupper":
            return lambda r: v.upper() if isinstance(v := args[0](r), str) else v

        def text_test(r: Any) -> bool:
            subject, needle = args[0](r), args[1](r)
            if not isinstance(subject, str) or not isinstance(needle, str):
                return False
            subject, needle = subject.lower(), needle.lower()
            if name == "startswith":
                return subject.startswith(needle)
            if name == "endswith":
                return subject.endswith(needle)
            return needle in subject

        return text_test


def _type_name(value: Any) -> str:
    return str(value or "").lstrip("#").lower()


def _isof_factory(lookup: Lookup, args: list[Predicate]) -> Predicate:
    """``isof('microsoft.graph.x')`` tests the record's ``@odata.type`` (with or without the ``#``)."""
    if len(args) != 1:
        raise FilterError("Invalid filter clause: isof takes the type name as its only argument.")
    wanted = args[0]
    return lambda r: _type_name(lookup(r, ("@odata.type",))) == _type_name(wanted(r))


def parse_filter(text: str, lookup: Lookup) -> ParsedFilter:
    """Compile a ``$filter`` expression.

    Args:
        text: the (percent-decoded) expression.
        lookup: reads a property path from one record (returns None for a missing property).

    Returns:
        The compiled filter.

    Raises:
        FilterError: for anything Graph would answer with 400.
    """
    if not text.strip():
        raise FilterError("Invalid filter clause: the expression is empty.")
    parser = _Parser(_tokens(text), lookup, text)
    predicate = parser.parse()
    return ParsedFilter(predicate=lambda r: bool(predicate(r)), used=frozenset(parser.used),
                        paths=frozenset(parser.paths))


def parse_select(text: str) -> list[str]:
    """Split ``$select`` into property names; raises :class:`FilterError` for an empty or malformed list."""
    names = [n.strip() for n in text.split(",")]
    if not names or any(not re.fullmatch(r"[A-Za-z_@][\w.@]*", n) for n in names):
        raise FilterError(f"Invalid $select: '{text}'.")
    return names


def parse_orderby(text: str) -> list[tuple[tuple[str, ...], bool]]:
    """``$orderby`` as ``[(path, descending)]``; raises :class:`FilterError` when malformed."""
    result = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise FilterError(f"Invalid $orderby: '{text}'.")
        result.append((tuple(words[0].split("/")), len(words) == 2 and words[1].lower() == "desc"))
    return result


def parse_search(text: str) -> list[tuple[str, str]]:
    """``$search="displayName:term" AND "..."`` as ``[(property, term)]``; :class:`FilterError` when malformed."""
    clauses = re.findall(r'"([^"]*)"', text)
    if not clauses:
        raise FilterError('Invalid $search: use "property:value".')
    result = []
    for clause in clauses:
        name, sep, term = clause.partition(":")
        if not sep or not name.strip():
            raise FilterError('Invalid $search: use "property:value".')
        result.append((name.strip(), term.strip()))
    return result


def select_fields(record: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """Keep only the selected properties (and ``@odata.type``), matching names without regard to case."""
    lowered = {k.lower(): k for k in record}
    result: dict[str, Any] = {}
    if "@odata.type" in record:
        result["@odata.type"] = record["@odata.type"]
    for name in names:
        key = lowered.get(name.lower())
        if key is not None:
            result[key] = record[key]
    return result
