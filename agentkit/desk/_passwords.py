"""What a desk password must be: at least 12 characters, more than a few distinct ones, and not one of the passwords
that lead every leaked-password list (those are tried first by anyone who guesses). A short list shipped with the
package: the length rule already refuses the shorter favourites (``123456``, ``password``, ``qwerty``)."""

from __future__ import annotations

from ..exceptions import ConfigError

__all__ = ["MIN_PASSWORD_LENGTH", "check_password"]

MIN_PASSWORD_LENGTH = 12
_COMMON = frozenset(
    """
    123456789012 1234567890123 12345678901234 123456123456 123123123123 111111111111 000000000000 121212121212
    123412341234 987654321098 098765432109 112233445566 123456654321 147258369147 1q2w3e4r5t6y 1qaz2wsx3edc
    qwertyuiopas qwertyuiop12 qwerty123456 qwerty12345678 qwertyqwerty qwerty1234567 asdfghjkl123 asdfasdfasdf
    zxcvbnm12345 zaq12wsxcde3 password1234 password12345 password123456 passwordpassword password1! password!123
    p@ssw0rd1234 passw0rd1234 mypassword123 mypassword12 secretpassword supersecret123 letmein12345 letmeinplease
    welcome12345 welcome123456 welcometo2024 iloveyou1234 iloveyou12345 iloveyouiloveyou admin1234567 administrator
    administrator1 adminadmin123 changeme1234 changemeplease trustno11234 sunshine1234 princess1234 football1234
    baseball1234 dragon123456 monkey123456 master123456 starwars1234 whatever1234 computer1234 internet1234
    abcdefghijkl abcdefghijklm abc123abc123 abcd1234abcd abcdef123456 a1b2c3d4e5f6 correcthorsebatterystaple
    correct horse battery staple helloworld123 hello1234567 summer123456 winter123456 spring123456 autumn123456
    support12345 support123456 helpdesk1234 helpdesk12345 agentkit1234 agentkit12345 desk12345678 deskpassword
    """.split()
    + ["correct horse battery staple"]
)


def check_password(password: str) -> str:
    """``password`` when it may be used; a ``ConfigError`` that says what to change otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"a desk password needs at least {MIN_PASSWORD_LENGTH} characters; a few words make one "
                          "that is easy to remember")  # fmt: skip
    if len(set(password)) < 5:
        raise ConfigError("a desk password needs more than a few different characters (this one repeats itself)")
    if password.lower() in _COMMON or password.lower().rstrip("!.1") in _COMMON:
        raise ConfigError("this desk password is on the lists of common passwords that attackers try first; "
                          "choose another")  # fmt: skip
    return password
