"""Hypothesis strategies: valid Spanish identifiers (and payment cards) written the many ways people
(or a careless export) write them, and the places in a table where they end up. Shared by the
scanner's and the ingest's property tests."""

from __future__ import annotations

import json
from dataclasses import dataclass

import phonenumbers
from hypothesis import strategies as st

LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# Characters that render as nothing (the brief's five plus the soft hyphen).
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SPACES = [" ", "\u00a0", "\u202f", "\u3000"]
DASHES = ["-", "\u2010", "\u2011", "\u2013", "\u2212"]
CODES = [f"2018S{n:06d}" for n in range(150, 180)]  # Guàrdia Urbana expedient numbers


@dataclass(frozen=True)
class Identifier:
    kind: str
    compact: str  # the identifier without any formatting, as a leak would be searched for
    written: str  # how it is written in the table

    @property
    def digits(self) -> str:
        return "".join(c for c in self.compact if c.isdigit())


def _groups(draw: st.DrawFn, text: str, sizes: list[list[int]]) -> list[str]:
    layout = draw(st.sampled_from(sizes))
    out, start = [], 0
    for size in layout:
        out.append(text[start : start + size])
        start += size
    return out


def _separator(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", " ", ".", "-", *SPACES[1:], *DASHES[1:]]))


@st.composite
def dnis(draw: st.DrawFn, valid: bool = True) -> Identifier:
    number = draw(st.integers(min_value=0, max_value=99_999_999))
    letter = LETTERS[number % 23]
    if not valid:
        letter = LETTERS[(number + draw(st.integers(min_value=1, max_value=22))) % 23]
    digits = f"{number:08d}"
    sep = _separator(draw)
    body = sep.join(_groups(draw, digits, [[8], [2, 3, 3], [4, 4], [2, 2, 2, 2]]))
    written = body + _letter_joint(draw, letter)
    return Identifier("dni", digits + letter, written)


def _letter_joint(draw: st.DrawFn, letter: str) -> str:
    # A space before a lower-case letter reads as prose ("... 678 a ..."), so lower case comes attached.
    if draw(st.booleans()):
        return draw(st.sampled_from(["", "-", *DASHES[1:]])) + letter.lower()
    return draw(st.sampled_from(["", " ", "-", *SPACES[1:], *DASHES[1:]])) + letter


@st.composite
def nies(draw: st.DrawFn, valid: bool = True) -> Identifier:
    prefix = draw(st.integers(min_value=0, max_value=2))
    number = draw(st.integers(min_value=0, max_value=9_999_999))
    letter = LETTERS[int(f"{prefix}{number:07d}") % 23]
    if not valid:
        letter = LETTERS[(int(f"{prefix}{number:07d}") + draw(st.integers(min_value=1, max_value=22))) % 23]
    digits = f"{number:07d}"
    sep = _separator(draw)
    body = sep.join(_groups(draw, digits, [[7], [1, 3, 3], [3, 4]]))
    head = "XYZ"[prefix]
    written = head + draw(st.sampled_from(["", "-", " "])) + body + _letter_joint(draw, letter)
    return Identifier("nie", head + digits + letter, written)


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


@st.composite
def ibans(draw: st.DrawFn) -> Identifier:
    country, length = draw(st.sampled_from([("ES", 20), ("ES", 20), ("PT", 21), ("DE", 18), ("FR", 23)]))
    bban = draw(st.text(alphabet="0123456789", min_size=length, max_size=length))
    check = 98 - _mod97(bban + country + "00")
    compact = f"{country}{check:02d}{bban}"
    sep = draw(st.sampled_from(["", " ", "-", "\u00a0", "\u2011"]))
    written = sep.join(compact[i : i + 4] for i in range(0, len(compact), 4))
    if draw(st.booleans()):
        written = written[:2].lower() + written[2:]
    return Identifier("iban", compact, written)


@st.composite
def phones(draw: st.DrawFn) -> Identifier:
    first = draw(st.sampled_from(["6", "7", "9"]))
    rest = draw(st.text(alphabet="0123456789", min_size=8, max_size=8))
    national = first + rest
    if not phonenumbers.is_valid_number(phonenumbers.parse(national, "ES")):
        national = "6" + rest
    a, b, c = national[:3], national[3:6], national[6:]
    written = draw(
        st.sampled_from(
            [
                f"{a} {b} {c}",
                f"{a}.{b}.{c}",
                f"{a}-{b}-{c}",
                f"{national[:2]} {national[2:5]} {national[5:7]} {national[7:]}",
                f"+34 {a} {b} {c}",
                f"(+34) {a}.{b}.{c}",
                f"0034 {national}",
                f"+34{national}",
                f"+34-{a}-{b}-{c}",
                f"(+34){national}",
            ]
        )
    )
    written = written.replace(" ", draw(st.sampled_from(SPACES)))
    return Identifier("phone", national, written)


@st.composite
def emails(draw: st.DrawFn) -> Identifier:
    user = draw(st.sampled_from(["maria.garcia", "jordi", "n.vallbona", "pere_soler", "laia.puig84"]))
    host = draw(st.sampled_from(["gmail.com", "bcn.cat", "hotmail.es", "xtec.cat", "correu.example.org"]))
    address = f"{user}@{host}"
    written = address.upper() if draw(st.booleans()) else address
    if draw(st.booleans()):
        written = written.replace("@", draw(st.sampled_from(["\uff20", "\ufe6b"])))
    return Identifier("email", address, written)


def _luhn_digit(partial: str) -> str:
    total = 0
    for i, c in enumerate(reversed(partial)):
        n = int(c) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return str((10 - total % 10) % 10)


@st.composite
def cards(draw: st.DrawFn) -> Identifier:
    prefix = draw(st.sampled_from(["4", "51", "55", "2221"]))
    partial = prefix + draw(
        st.text(alphabet="0123456789", min_size=15 - len(prefix), max_size=15 - len(prefix))
    )
    number = partial + _luhn_digit(partial)
    sep = draw(st.sampled_from(["", " ", "-", ".", "\u00a0", "\u2011"]))
    return Identifier("card", number, sep.join(number[i : i + 4] for i in range(0, 16, 4)))


def identifiers() -> st.SearchStrategy[Identifier]:
    return st.one_of(dnis(), nies(), ibans(), phones(), emails(), cards())


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def disguised(draw: st.DrawFn, base: st.SearchStrategy[Identifier]) -> Identifier:
    """`base` with, maybe, full-width characters and invisible characters slipped in anywhere."""
    ident = draw(base)
    written = ident.written
    if draw(st.booleans()):
        written = _fullwidth(written)
    inserts = draw(
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=len(written)), st.sampled_from(INVISIBLE)),
            max_size=4,
        )
    )
    for position, char in sorted(inserts, reverse=True):
        written = written[:position] + char + written[position:]
    return Identifier(ident.kind, ident.compact, written)


LABELS = {
    "dni": ["DNI", "DNI:", "NIF", "D.N.I.", "document", "documento"],
    "nie": ["NIE", "NIE:", "NIF", "document"],
    "iban": ["IBAN", "IBAN:", "compte", "cuenta", "account"],
    "phone": ["tel", "tel.", "Telèfon:", "Teléfono", "mòbil", "phone"],
    "email": ["correu", "email:", "e-mail", "correo"],
    "card": ["targeta", "tarjeta", "card", "Visa"],
}
SHORT = [
    "{label} {x}",
    "Contacte: {label} {x}",
    "Contacto — {label} {x}.",
    "{label} {x} (titular)",
    "ref. 2018S000150; {label} {x}",
]
PROSE = [
    "La veïna demana que es posin en contacte amb ella, {label} {x}, per revisar la incidència del carrer.",
    "El vecino solicita que le contesten lo antes posible, {label} {x}, por el ruido de las terrazas.",
    "The resident asked the office to get back to them at {label} {x} about the broken street light.",
]
PLAIN_PROSE = [
    "Queixa per soroll de terrasses al carrer durant la nit, sense més dades de contacte.",
    "Solicitud de revisión del alumbrado público en la esquina del mercado municipal.",
    "Request to repair the pavement next to the school entrance before the new term starts.",
]


@st.composite
def labelled(draw: st.DrawFn, ident: Identifier) -> str:
    label = draw(st.sampled_from(LABELS[ident.kind]))
    return draw(st.sampled_from(SHORT)).format(label=label, x=ident.written)


@st.composite
def prose(draw: st.DrawFn, ident: Identifier) -> str:
    label = draw(st.sampled_from(LABELS[ident.kind]))
    return draw(st.sampled_from(PROSE)).format(label=label, x=ident.written)


@st.composite
def json_cell(draw: st.DrawFn, ident: Identifier) -> str:
    inner = draw(st.sampled_from([ident.written, draw(labelled(ident))]))
    doc = {"info": {"nested": {"deep": inner}}, "id": draw(st.integers(min_value=1, max_value=999))}
    return json.dumps(doc, ensure_ascii=draw(st.booleans()))


def compact_forms(ident: Identifier) -> list[str]:
    """What must never appear in anything published or shown: the identifier itself, compact."""
    return [ident.compact, ident.compact.lower()] if ident.kind != "phone" else [ident.compact]
