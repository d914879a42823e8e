"""``onlyIf``: R2Conditional dicts or request headers, evaluated as RFC 7232 §6 says (as the R2 service does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
from flarebind.plugin import JsException

from flarebind_r2.headers import HeaderView, is_headers

CONDITIONAL_FIELDS = frozenset(
    {"etagMatches", "etagDoesNotMatch", "uploadedBefore", "uploadedAfter", "secondsGranularity"}
)


@attrs.frozen
class Etag:
    kind: str  # "strong" | "weak" | "wildcard"
    value: str = ""


@attrs.frozen
class Conditional:
    etag_matches: tuple[Etag, ...] | None = None
    etag_does_not_match: tuple[Etag, ...] | None = None
    uploaded_before_ms: int | None = None
    uploaded_after_ms: int | None = None
    seconds_granularity: bool = False


def to_ms(value: Any) -> int:
    """A Date-like value (datetime, epoch ms number, or a date string) as epoch milliseconds."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        parsed = _parse_http_date(value)
        if parsed is None:
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise TypeError(f"Invalid date: {value}") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
        return int(parsed.timestamp() * 1000)
    raise TypeError(f"Expected a Date, got {type(value).__name__}")


def _parse_http_date(value: str) -> dt.datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _single_etag(value: Any) -> tuple[Etag, ...]:
    text = str(value)
    if text.startswith('"') and text.endswith('"'):
        raise TypeError(f"Conditional ETag should not be wrapped in quotes ({text}).")
    return (Etag("wildcard"),) if text == "*" else (Etag("strong", text),)


def parse_etag_header(header: str) -> tuple[Etag, ...]:
    """An If-Match / If-None-Match list: strong ``"x"``, weak ``W/"x"``, ``*``; commas may appear inside quotes."""
    etags: list[Etag] = []
    rest = header
    comma_required = False
    while True:
        wildcard, quote, weak, comma = (_find(rest, c) for c in ("*", '"', "W", ","))
        if quote is None and wildcard is None:
            return tuple(etags)
        first = min(p for p in (wildcard, quote, weak, comma) if p is not None)
        if comma is not None and first == comma:
            rest = rest[comma + 1 :]
            comma_required = False
            continue
        if comma_required:
            problem = min(p for p in (wildcard, quote, weak) if p is not None)
            if problem == wildcard:
                reason = "Encountered a wildcard character '*' instead."
            elif problem == quote:
                reason = (
                    "Encountered a double quote character '\"' instead. "
                    "This would otherwise indicate the start of a new strong etag."
                )
            else:
                reason = (
                    "Encountered a weak quotation character 'W' instead. "
                    "This would otherwise indicate the start of a new weak etag."
                )
            raise JsException(f"Comma was expected to separate etags. {reason}")
        if wildcard is not None and (quote is None or wildcard < quote):
            # a wildcard matches everything, so it replaces whatever came before
            return (Etag("wildcard"),)
        assert quote is not None
        closing = _find(rest, '"', quote + 1)
        if closing is None:
            raise JsException("Unclosed double quote for Etag")
        value = rest[quote + 1 : closing]
        if weak is not None and weak < quote:
            if not (len(rest) > weak + 2 and rest[weak + 1] == "/" and weak + 2 == quote):
                raise JsException("Weak etags must start with W/ and their value must be quoted")
            etags.append(Etag("weak", value))
        else:
            etags.append(Etag("strong", value))
        rest = rest[closing + 1 :]
        comma_required = True


def _find(text: str, char: str, start: int = 0) -> int | None:
    index = text.find(char, start)
    return None if index < 0 else index


def parse_conditional(value: Any) -> Conditional | None:
    if value is None:
        return None
    if is_headers(value, CONDITIONAL_FIELDS):
        headers = HeaderView(value)
        matches = headers.get("if-match")
        none_match = headers.get("if-none-match")
        modified = headers.get("if-modified-since")
        unmodified = headers.get("if-unmodified-since")
        return Conditional(
            etag_matches=parse_etag_header(matches) if matches is not None else None,
            etag_does_not_match=parse_etag_header(none_match) if none_match is not None else None,
            uploaded_after_ms=_header_date_ms(modified),
            uploaded_before_ms=_header_date_ms(unmodified),
            seconds_granularity=True,  # HTTP dates have whole seconds
        )
    if not isinstance(value, Mapping):
        raise TypeError("onlyIf must be an R2Conditional dict or headers")
    return Conditional(
        etag_matches=_single_etag(value["etagMatches"]) if value.get("etagMatches") is not None else None,
        etag_does_not_match=(
            _single_etag(value["etagDoesNotMatch"]) if value.get("etagDoesNotMatch") is not None else None
        ),
        uploaded_before_ms=to_ms(value["uploadedBefore"]) if value.get("uploadedBefore") is not None else None,
        uploaded_after_ms=to_ms(value["uploadedAfter"]) if value.get("uploadedAfter") is not None else None,
        seconds_granularity=bool(value.get("secondsGranularity", False)),
    )


def _header_date_ms(value: str | None) -> int | None:
    if value is None:
        return None
    parsed = _parse_http_date(value)
    # an unparsable date is an invalid Date in the runtime, which compares false; treating it as absent matches
    # RFC 7232's "ignore an invalid date" rule
    return None if parsed is None else int(parsed.timestamp() * 1000)


def _includes(etags: tuple[Etag, ...], etag: str, weak_compare: bool) -> bool:
    return any(e.kind == "wildcard" or (e.value == etag and (e.kind == "strong" or weak_compare)) for e in etags)


def passes(cond: Conditional, etag: str | None, uploaded_ms: int | None) -> bool:
    """Whether the conditions hold for the current object (``etag is None`` when there is none)."""
    if etag is None or uploaded_ms is None:
        # only conditions that require an object fail when it is missing
        return cond.etag_matches is None and cond.uploaded_after_ms is None
    if_match = cond.etag_matches is None or _includes(cond.etag_matches, etag, weak_compare=False)
    if_none_match = cond.etag_does_not_match is None or not _includes(cond.etag_does_not_match, etag, weak_compare=True)

    def trunc(ms: int) -> int:
        return ms // 1000 * 1000 if cond.seconds_granularity else ms

    last_modified = trunc(uploaded_ms)
    # RFC 7232 §6: If-Modified-Since is ignored when If-None-Match is present (and holds), If-Unmodified-Since when
    # If-Match is present (and holds)
    if_modified_since = (
        cond.uploaded_after_ms is None
        or trunc(cond.uploaded_after_ms) < last_modified
        or (cond.etag_does_not_match is not None and if_none_match)
    )
    if_unmodified_since = (
        cond.uploaded_before_ms is None
        or last_modified < trunc(cond.uploaded_before_ms)
        or (cond.etag_matches is not None and if_match)
    )
    return if_match and if_none_match and if_modified_since and if_unmodified_since
