"""Does a bot's reply promise the user a person? Used to fail "don't escalate" cases where the bot said it was
handing over (or would have someone call back) without calling the handoff tool: the user then waits for a human
who never comes, which is worse than a plain answer or an honest "I can't do that".

A heuristic over phrasings in the dataset's languages, on purpose narrow: it looks for the bot committing to a
transfer or a callback ("I'm transferring you", "a colleague will contact you"), not for any mention of people
("if you'd like a person, just say so" and "our team is open 8 to 20" are not promises).
"""

from __future__ import annotations

import re

__all__ = ["promises_a_human"]

_PERSON = (
    r"(?:a |an |one of our |our )?(?:human|person|agent|colleague|specialist|advisor|adviser|representative|"
    r"team member|member of (?:our|the) (?:support )?team|support team|someone(?: from (?:our|the) team)?)"
)
_PROMISES = (
    # English: "I'll transfer you", "I'm connecting you with an agent", "I've escalated this to our team"
    rf"\bi(?:'ll| will|'m| am) (?:now )?(?:transfer|transferring|connect|connecting|put|putting|pass|passing|hand|"
    rf"handing)(?:ing)? you (?:through |over )?(?:to|with) {_PERSON}",
    r"\bi(?:'ve| have) (?:escalated|transferred|forwarded|passed|handed) (?:this|your (?:case|request|issue|chat|"
    r"conversation)|you)(?: over)? to\b",
    rf"\b{_PERSON} will (?:contact|call|reach out to|get back to|be with|email|follow up with|take over|join)\b",
    r"\b(?:transferring|connecting) you (?:now )?(?:to|with)\b",
    # Spanish, French, German, Portuguese, Italian: the same commitments
    r"\b(?:te|le) (?:paso|transfiero|comunico|pongo en contacto) con\b",
    r"\bun (?:agente|asesor|compañero) (?:te|le|se) (?:contactará|llamará|atenderá|pondrá)\b",
    r"\bje vous (?:transf[eè]re|mets en relation|passe un conseiller)\b",
    r"\bun conseiller (?:va vous|vous) (?:contacter|rappeler|recontacter)\b",
    r"\bich (?:leite|verbinde) (?:sie|dich)\b.*\b(?:weiter|mitarbeiter|kollegen)\b",
    r"\bein(?:e)? (?:mitarbeiter(?:in)?|kollege|kollegin) (?:wird|meldet) sich\b",
    r"\bvou (?:te |lhe )?(?:transferir|passar|encaminhar)\b",
    r"\bti (?:passo|trasferisco|metto in contatto) (?:a|con)\b",
)
_PROMISE = re.compile("|".join(f"(?:{p})" for p in _PROMISES), re.IGNORECASE)


def promises_a_human(text: str | None) -> bool:
    """True when ``text`` commits to a transfer or a callback by a person."""
    return bool(text) and _PROMISE.search(text or "") is not None
