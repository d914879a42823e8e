"""``_headers`` and ``_redirects`` files: parsing (with line-numbered warnings) and matching.

Pattern syntax as Cloudflare documents it (static-assets/headers.mdx, redirects.mdx): a rule is a path, or a full
``https://host/path`` URL; ``*`` is a greedy splat available as ``:splat``, ``:name`` matches one path segment.
``_redirects``: ``from to [status]`` with status 301/302 (default)/303/307/308, or 200 to serve another asset at
the same URL; rules without ``*``/``:`` ("static") win over the others, then the first matching line wins.
``_headers``: a path line then indented ``Name: value`` lines, ``! Name`` removes a header; every matching block
applies in order, and a header set by two blocks is joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REDIRECT_STATUSES = (200, 301, 302, 303, 307, 308)


def _compile(rule: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(rule):
        ch = rule[i]
        if ch == "*":
            out.append("(?P<splat>.*)")
            i += 1
        elif ch == ":" and i + 1 < len(rule) and re.match(r"\w", rule[i + 1]) and not rule.startswith("https:", i - 5):
            name = re.match(r"\w+", rule[i + 1 :]).group(0)  # type: ignore[union-attr]
            out.append(f"(?P<{name}>[^/]+)")
            i += 1 + len(name)
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def _replace(template: str, groups: dict[str, str]) -> str:
    for name, value in sorted(groups.items(), key=lambda kv: -len(kv[0])):
        template = template.replace(f":{name}", value or "")
    return template


def _subject(rule: str, host: str, path: str) -> str:
    return f"https://{host}{path}" if rule.startswith("https://") else path


@dataclass
class RedirectRule:
    source: str
    to: str
    status: int
    line: int
    pattern: re.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]


@dataclass
class HeaderRule:
    source: str
    set: list[tuple[str, str]]
    unset: list[str]
    pattern: re.Pattern[str] = field(repr=False, default=None)  # type: ignore[assignment]


class Rules:
    def __init__(self, directory: Path) -> None:
        self.warnings: list[str] = []
        self.static_redirects: dict[str, RedirectRule] = {}
        self.dynamic_redirects: list[RedirectRule] = []
        self.headers: list[HeaderRule] = []
        redirects = directory / "_redirects"
        headers = directory / "_headers"
        if redirects.is_file():
            self._parse_redirects(redirects.read_text(encoding="utf-8", errors="replace"))
        if headers.is_file():
            self._parse_headers(headers.read_text(encoding="utf-8", errors="replace"))

    # -- _redirects -------------------------------------------------------------------------------------------

    def _parse_redirects(self, text: str) -> None:
        seen: set[str] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            tokens = line.split()
            if len(tokens) not in (2, 3):
                self.warnings.append(
                    f"_redirects line {number}: expected exactly 2 or 3 whitespace-separated tokens, got "
                    f"{len(tokens)}: {line!r}"
                )
                continue
            source, to = tokens[0], tokens[1]
            status = 302
            if len(tokens) == 3:
                if not tokens[2].isdigit() or int(tokens[2]) not in REDIRECT_STATUSES:
                    self.warnings.append(
                        f"_redirects line {number}: valid status codes are 200, 301, 302 (default), 303, 307, or "
                        f"308. Got {tokens[2]}."
                    )
                    continue
                status = int(tokens[2])
            if not (source.startswith("/") or source.startswith("https://")):
                self.warnings.append(f"_redirects line {number}: the source must start with / or https://: {source}")
                continue
            if status == 200 and re.match(r"^\w+://", to):
                self.warnings.append(f"_redirects line {number}: proxying (200) to other domains is not supported")
                continue
            if source in seen:
                self.warnings.append(f"_redirects line {number}: ignoring duplicate rule for path {source}")
                continue
            seen.add(source)
            rule = RedirectRule(source, to, status, number)
            if "*" in source or re.search(r"(?<!https):\w", source):
                rule.pattern = _compile(source)
                self.dynamic_redirects.append(rule)
            else:
                self.static_redirects[source] = rule

    def redirect_for(self, host: str, path: str) -> tuple[int, str] | None:
        with_host = self.static_redirects.get(f"https://{host}{path}")
        without = self.static_redirects.get(path)
        if with_host and without:
            hit = with_host if with_host.line < without.line else without
        else:
            hit = with_host or without
        if hit is not None:
            return hit.status, hit.to
        for rule in self.dynamic_redirects:
            m = rule.pattern.match(_subject(rule.source, host, path))
            if m:
                return rule.status, _replace(rule.to, m.groupdict())
        return None

    # -- _headers ---------------------------------------------------------------------------------------------

    def _parse_headers(self, text: str) -> None:
        current: HeaderRule | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip() or raw.strip().startswith("#"):
                continue
            if not raw[0].isspace():
                source = raw.strip()
                if not (source.startswith("/") or source.startswith("https://")):
                    self.warnings.append(f"_headers line {number}: a path must start with / or https://: {source}")
                    current = None
                    continue
                current = HeaderRule(source, [], [], _compile(source))
                self.headers.append(current)
                continue
            if current is None:
                self.warnings.append(f"_headers line {number}: a header comes before any path: {raw.strip()!r}")
                continue
            line = raw.strip()
            if line.startswith("!"):
                current.unset.append(line[1:].strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                current.set.append((name.strip(), value.strip()))
            else:
                self.warnings.append(f"_headers line {number}: expected 'Name: value' or '! Name': {line!r}")

    def apply_headers(self, host: str, path: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        set_here: set[str] = set()
        for rule in self.headers:
            m = rule.pattern.match(_subject(rule.source, host, path))
            if not m:
                continue
            groups = m.groupdict()
            for name in rule.unset:
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
            for name, value in rule.set:
                value = _replace(value, groups)
                if name.lower() in set_here:
                    headers.append((name, value))
                else:
                    headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
                    headers.append((name, value))
                    set_here.add(name.lower())
        return headers
