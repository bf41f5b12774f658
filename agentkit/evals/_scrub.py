"""PII scrubbing for imported conversations: emails, card numbers (Luhn-checked), account numbers, phone numbers and
the names in the user's profile are replaced by ``[email]``, ``[card]``, ``[account]``, ``[phone]``, ``[name]``.

Order matters: card numbers go before phones (a card number is also a long run of digits) and only digit runs that
pass the Luhn check count as cards, so an order number stays. Account numbers are IBANs, or digit runs right after
a word that says account (account, acct, a/c, IBAN, sort code, routing). Phones are runs of 9 to 15 digits with
the usual separators. A scrubber errs towards removing: a false "[phone]" costs a case little, a leaked number a lot.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Scrubber", "luhn_valid"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_ACCOUNT = re.compile(
    r"(?P<label>\b(?:account|acct|a/c|iban|sort code|routing)(?:\s+(?:number|no\.?|num|is|was|:|#))*\s*[:#]?\s*)"
    r"(?P<number>\d[\d -]{4,}\d)",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d ().-]{7,18}\d(?![\w])")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that card numbers carry."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@dataclass
class Scrubber:
    """Replaces PII in texts; ``counts`` adds up what it replaced, by kind, over every text it scrubbed."""

    counts: Counter[str] = field(default_factory=Counter)

    def scrub(self, text: str, names: Iterable[str] = ()) -> str:
        text = self._sub(_EMAIL, "email", text)
        text = self._sub(_CARD, "card", text, lambda m: luhn_valid(re.sub(r"\D", "", m.group())))
        text = self._sub(_IBAN, "account", text)
        text = _ACCOUNT.sub(self._account, text)
        text = self._sub(_PHONE, "phone", text, lambda m: 9 <= len(re.sub(r"\D", "", m.group())) <= 15)
        for name in _name_parts(names):
            text = self._sub(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), "name", text)
        return text

    def _sub(self, pattern: re.Pattern[str], kind: str, text: str, keep: object = None) -> str:
        def replace(match: re.Match[str]) -> str:
            if callable(keep) and not keep(match):
                return match.group()
            self.counts[kind] += 1
            return f"[{kind}]"

        return pattern.sub(replace, text)

    def _account(self, match: re.Match[str]) -> str:
        self.counts["account"] += 1
        return f"{match['label']}[account]"


def _name_parts(names: Iterable[str]) -> list[str]:
    """The full names and their parts of two letters or more, longest first (so "Ana Ruiz" goes before "Ana")."""
    parts = set()
    for name in names:
        if name and name.strip():
            parts.add(name.strip())
            parts.update(part for part in re.split(r"[\s,]+", name) if len(part) >= 2)
    return sorted(parts, key=len, reverse=True)
