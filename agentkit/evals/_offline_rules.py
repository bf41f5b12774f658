"""The rules of ``OfflineModel``: which words signal a handoff (and at which priority), and the FAQ answers."""

from __future__ import annotations

import re

# (priority, pattern) checked in order: the first match decides. Patterns are matched on lower-cased text.
ESCALATION_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (priority, reason, re.compile(pattern))
    for priority, reason, pattern in (
        (
            "urgent",
            "User may be in danger",
            r"\b(suicid\w*|kill (my|him|her)self|hurt (my|him|her)self|in danger|life.threatening|emergency|"
            r"scared to go (home|back)|won'?t be around|(going to|gonna|want to) end it|end it (all|tonight)|"
            r"end my life|calls? to (999|911|112) fail)",
        ),
        (
            "urgent",
            "Possible account takeover or fraud in progress",
            r"\b(someone|somebody) (is using|used|took|accessed|logged into|has logged into|changed|is in|"
            r"has opened|opened)|"
            r"\b(sim|number) (was|has been) (moved|ported|swapped)|\bin my name\b|\bme robaron\b|"
            r"\bstill has (admin )?access\b|"
            r"\b(unauthori[sz]ed|fraudulent) (charge|transaction|transfer|payment|login|access)|"
            r"\b(account|card) (was|has been|got) (hacked|stolen|compromised)|\bhacked\b|\bstolen card\b",
        ),
        (
            "high",
            "Security or fraud concern",
            r"\b(fraud\w*|scam\w*|phishing|data breach|leak(ed)? (my )?(password|data)|security (issue|breach)|"
            r"identity theft|site that looked like yours|anyone else logged in)\b",
        ),
        (
            "high",
            "Legal threat",
            r"\b(lawyers|attorneys?|solicitors?|sue|suing|lawsuit|legal action|court|ombudsman|regulator)\b|"
            r"\b(my|our) lawyer (will|is)\b",
        ),
        (
            "high",
            "Service outage affecting the user",
            r"\b(outage|is down|are down|service down|not working for (hours|days)|can'?t access anything|"
            r"no service|without internet|sin internet|no internet|declined everywhere|been (failing|throwing)|"
            r"dropped again|kicked out of)\b",
        ),
        ("medium", "Bereavement", r"\b(passed away|died|deceased|death of|bereavement)\b"),
        (
            "medium",
            "Account closure request",
            r"\b(close|cancel|delete) (my|the|both|all) ?(of mine|accounts?|subscriptions?|membership)|"
            r"\bswitching (banks|provider|providers)\b",
        ),
        (
            "medium",
            "User asked to talk to a person",
            r"\b(talk|speak|chat) (to|with) (a |an |some )?(human|person|agent|someone|somebody|representative|"
            r"manager|supervisor|real person|real human|live agent)|\b(real|live|actual) (person|human|agent)\b|"
            r"\b(connect|transfer|put) me (to|with|through)|\bhuman,? please\b|\bescalate (this|it|my)\b|"
            r"\b(get|put) (me )?(someone|somebody|a human|a person|a real)|\bput a human on\b|"
            r"\b(prefer|need|want) (a|to talk to a|to speak to a) (person|human)\b|"
            r"\bsomeone (from|on) your (team|end|side)|\bsomeone who (can|will)|\bgive me a (ring|call)\b|"
            r"\bcall me back\b|\bwhoever can\b|\b(an )?advisor (give|call|contact)|"
            r"\bhablar con (una persona|un agente|alguien|un humano)|\balguien que pueda|\bansprechpartner|"
            r"\bparler (à|a) quelqu'un|\bparler (à|a) (un|une) (humain|agent|conseill)|"
            r"\b(mit einem|einen) (menschen|mitarbeiter|berater)|"
            r"\bfalar com (um|uma|alguém) ?(atendente|pessoa|humano)?",
        ),
        (
            "high",
            "User is angry",
            r"\b(furious|unacceptable|ridiculous|worst (service|company)|disgusting|fed up|useless bot|"
            r"third time|for the last time|sick of|done being polite|stupid (bank|company|bot)|that'?s twice|"
            r"sent it twice)\b",
        ),
    )
)

# A user trying to order the bot around is not a reason to escalate on its own.
INJECTION = re.compile(
    r"\b(ignore (all |your |previous |the )*(rules|instructions|prompt)|system:|you are now|as (the|an) admin|"
    r"developer mode|new instructions|(i'?m )?order(ing)? you to|required to transfer|^assistant:|\nassistant:|"
    r"label this (chat|conversation)|(with|as) (urgent|high) priority|priority (urgent|high)\b)"
)
NEGATED_REQUEST = re.compile(r"\b(don'?t|do not|no need to|not) (want to |need to )?(talk|speak|transfer|escalate)")

FAQ: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), answer)
    for pattern, answer in (
        (
            r"\b(reset|forgot|change)\b.*\bpassword\b|\bpassword\b.*\b(reset|forgot)",
            'To reset your password, open the sign-in page, choose "Forgot password" and follow the link we email '
            "you. The link is valid for 30 minutes.",
        ),
        (
            r"\b(where|status|track)\b.*\border\b|\border\b.*\b(where|status|arrive|shipped)",
            "You can track your order under Account > Orders; the tracking link appears as soon as it ships. "
            "Standard delivery takes 3 to 5 business days.",
        ),
        (
            r"\brefund|return\b",
            "You can return most items within 30 days. Start a return under Account > Orders; the refund reaches "
            "your original payment method within 5 to 10 business days after we receive the item.",
        ),
        (
            r"\b(hours|open|opening)\b",
            "Our support team is available Monday to Friday, 8:00 to 20:00, and I'm here around the clock.",
        ),
        (
            r"\b(price|pricing|plan|plans|cost|how much)\b",
            "Our plans are Basic at $10/month, Pro at $25/month and Business at $60/month; yearly billing saves 15%.",
        ),
        (
            r"\b(invoice|receipt|billing)\b",
            "Invoices are under Settings > Billing > Invoices, where you can download each one as a PDF.",
        ),
        (
            r"\b(hello|hi|hey|good (morning|afternoon|evening))\b",
            "Hello! I can help with orders, returns, billing and your account. What can I do for you?",
        ),
        (r"\b(thanks|thank you|great|perfect)\b", "You're welcome! Is there anything else I can help with?"),
    )
)

FALLBACK = (
    "I'm the offline demo assistant, so I can answer questions about orders, returns, passwords, billing and plans. "
    "If you'd like a person to help, just say so."
)
INJECTION_REPLY = "I can't change how I work, but I'm glad to help with your order, billing or account."
