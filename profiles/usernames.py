"""What a shop username may be (issue 13, defect 7).

A username is shown to other people (reviews, the admin, e-mails) and typed
to log in, so two names that read the same must be the same name:

- it is normalised to Unicode NFKC (full-width "ａｄａ" is "ada", the "ﬁ"
  ligature is "fi"), as Django's own `UsernameField` does at login;
- it may hold only letters, digits and `. _ - @ +` (the set of Django's
  `UnicodeUsernameValidator`, `^[\\w.@+-]+\\Z`), so `<script>`, quotes,
  spaces and SQL-ish strings are refused;
- control characters (Cc), format characters (Cf: the right-to-left
  override U+202E, the zero-width space U+200B, the BOM...) and the other
  default-ignorable code points that render as nothing (Hangul fillers
  U+3164/U+FFA0, variation selectors, the combining grapheme joiner) are
  refused by name, with the code point in the message;
- names are compared case-insensitively (`str.casefold`) with invisible
  characters removed, so "Ada", "ADA" and "ada" + U+200B are all the taken
  name "ada".

Not covered: look-alikes across scripts (Cyrillic "а" for Latin "a"), which
need the Unicode confusables table (UTS #39).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

MAX_LENGTH = 150
ALLOWED_PUNCTUATION = "._-@+"
# Django's UnicodeUsernameValidator: word characters (letters, digits, _) and . @ + -
_ALLOWED = re.compile(r"^[\w.@+-]+\Z")

# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt) that are not
# already Cc/Cf: characters that a renderer draws as nothing.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG/JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ/AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x2065, 0x2065),
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),
    (0x2800, 0x2800),  # BRAILLE PATTERN BLANK (not default-ignorable, but blank)
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)


def _invisible(ch: str) -> bool:
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return True
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _IGNORABLE_RANGES)


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def username_normalize(raw: str) -> str:
    """NFKC, outer whitespace stripped. The form a username is stored in."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def username_key(raw: str) -> str:
    """What two usernames are compared by: normalised, invisible characters
    dropped, case-folded (then NFKC again, as casefold can denormalise)."""
    visible = "".join(ch for ch in username_normalize(raw) if not _invisible(ch))
    return unicodedata.normalize("NFKC", visible.casefold())


def username_problem(name: str) -> str | None:
    """Why the (normalised) `name` is refused, as a sentence, or None."""
    if not name:
        return _("Enter a username.")
    if len(name) > MAX_LENGTH:
        return _("A username has at most %(most)d characters (this one has %(n)d).") % {
            "most": MAX_LENGTH,
            "n": len(name),
        }
    for ch in name:
        if _invisible(ch):
            if unicodedata.category(ch) == "Cc":
                return _("Usernames cannot contain a control character (%(char)s).") % {"char": _describe(ch)}
            return _("Usernames cannot contain an invisible character (%(char)s).") % {"char": _describe(ch)}
    if not _ALLOWED.match(name):
        bad = next(ch for ch in name if not _ALLOWED.match(ch))
        shown = _("a space") if bad.isspace() else f"“{bad}”"
        return _("Usernames may contain only letters, digits and %(punctuation)s (not %(shown)s, %(char)s).") % {
            "punctuation": " ".join(ALLOWED_PUNCTUATION),
            "shown": shown,
            "char": _describe(bad),
        }
    return None
