"""Reference vocabularies: countries, people's names, companies, industries, nicknames.

Names come from Faker's locale *lists* (not its per-row generator calls): they are loaded once into
numpy arrays and indexed with random integers, which is what keeps the generator vectorised. Each
person has a native name (accented, or non-Latin for Japan and Russia) and its Latin form
(accents folded, or the romanisation) from which emails are derived.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    locale: str
    currency: str
    time_zone: str
    tld: str
    region: str
    suffixes: tuple[str, ...]
    cities: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country(
        "US",
        0.42,
        "en_US",
        "USD",
        "America/New_York",
        "com",
        "NA",
        ("Inc.", "LLC", "Corp."),
        ("New York", "Chicago", "Austin", "Seattle", "Denver", "Boston", "Atlanta", "San Jose"),
    ),
    Country(
        "CA",
        0.04,
        "en_US",
        "CAD",
        "America/Toronto",
        "ca",
        "NA",
        ("Inc.", "Ltd."),
        ("Toronto", "Vancouver", "Montréal", "Calgary"),
    ),
    Country(
        "GB",
        0.1,
        "en_GB",
        "GBP",
        "Europe/London",
        "co.uk",
        "EMEA",
        ("Ltd", "PLC"),
        ("London", "Manchester", "Leeds", "Bristol", "Edinburgh"),
    ),
    Country(
        "DE",
        0.1,
        "de_DE",
        "EUR",
        "Europe/Berlin",
        "de",
        "EMEA",
        ("GmbH", "AG"),
        ("Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main"),
    ),
    Country(
        "FR",
        0.07,
        "fr_FR",
        "EUR",
        "Europe/Paris",
        "fr",
        "EMEA",
        ("SAS", "SA"),
        ("Paris", "Lyon", "Toulouse", "Nantes", "Lille"),
    ),
    Country(
        "ES",
        0.05,
        "es_ES",
        "EUR",
        "Europe/Madrid",
        "es",
        "EMEA",
        ("S.L.", "S.A."),
        ("Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga"),
    ),
    Country(
        "IT",
        0.04,
        "it_IT",
        "EUR",
        "Europe/Rome",
        "it",
        "EMEA",
        ("S.r.l.", "S.p.A."),
        ("Milano", "Roma", "Torino", "Bologna"),
    ),
    Country(
        "NL",
        0.04,
        "nl_NL",
        "EUR",
        "Europe/Amsterdam",
        "nl",
        "EMEA",
        ("B.V.", "N.V."),
        ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"),
    ),
    Country(
        "SE",
        0.03,
        "sv_SE",
        "SEK",
        "Europe/Stockholm",
        "se",
        "EMEA",
        ("AB",),
        ("Stockholm", "Göteborg", "Malmö", "Uppsala"),
    ),
    Country(
        "PL",
        0.03,
        "pl_PL",
        "EUR",
        "Europe/Warsaw",
        "pl",
        "EMEA",
        ("Sp. z o.o.", "S.A."),
        ("Warszawa", "Kraków", "Wrocław", "Gdańsk"),
    ),
    Country(
        "BR",
        0.04,
        "pt_BR",
        "BRL",
        "America/Sao_Paulo",
        "com.br",
        "LATAM",
        ("Ltda.", "S.A."),
        ("São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba"),
    ),
    Country(
        "JP",
        0.03,
        "ja_JP",
        "JPY",
        "Asia/Tokyo",
        "co.jp",
        "APAC",
        ("K.K.", "Co., Ltd."),
        ("Tokyo", "Osaka", "Nagoya", "Fukuoka"),
    ),
    Country(
        "RU",
        0.01,
        "ru_RU",
        "EUR",
        "Europe/Moscow",
        "ru",
        "EMEA",
        ("OOO", "AO"),
        ("Moskva", "Sankt-Peterburg", "Kazan"),
    ),
)
COUNTRY_CODES = np.array([c.code for c in COUNTRIES])
COUNTRY_WEIGHTS = np.array([c.weight for c in COUNTRIES]) / sum(c.weight for c in COUNTRIES)

INDUSTRIES = np.array(
    [
        "Technology",
        "Manufacturing",
        "Retail",
        "Healthcare",
        "Financial Services",
        "Education",
        "Professional Services",
        "Media",
        "Logistics",
        "Energy",
        "Hospitality",
        "Construction",
    ]
)
INDUSTRY_WEIGHTS = np.array([16, 14, 11, 9, 9, 5, 10, 5, 7, 4, 5, 5], dtype=float) / 100

COMPANY_WORDS_A = np.array(
    [
        "North",
        "Blue",
        "Summit",
        "Pine",
        "River",
        "Apex",
        "Bright",
        "Iron",
        "Silver",
        "Cedar",
        "Nova",
        "Vertex",
        "Harbor",
        "Golden",
        "Red",
        "Quantum",
        "Atlas",
        "Falcon",
        "Granite",
        "Maple",
        "Orion",
        "Polar",
        "Prime",
        "Sterling",
        "Sun",
        "Tidal",
        "Union",
        "West",
        "Wild",
        "Crystal",
        "Delta",
        "Echo",
        "Evergreen",
        "Frontier",
        "Horizon",
        "Keystone",
        "Lumen",
        "Meridian",
        "Oak",
        "Pioneer",
        "Redwood",
        "Sapphire",
        "Skyline",
        "Stone",
        "Terra",
        "Vista",
        "Zenith",
        "Coastal",
        "Crown",
        "Eagle",
    ]
)
COMPANY_WORDS_B = np.array(
    [
        "Systems",
        "Logistics",
        "Foods",
        "Health",
        "Energy",
        "Labs",
        "Works",
        "Partners",
        "Analytics",
        "Manufacturing",
        "Retail",
        "Media",
        "Capital",
        "Dynamics",
        "Solutions",
        "Robotics",
        "Textiles",
        "Pharma",
        "Motors",
        "Networks",
        "Software",
        "Consulting",
        "Builders",
        "Outfitters",
        "Supply",
        "Electronics",
        "Designs",
        "Industries",
        "Holdings",
        "Technologies",
    ]
)

# Formal first name → the nickname people use in one system while another has the formal one.
NICKNAMES: dict[str, str] = {
    "Robert": "Bob",
    "William": "Bill",
    "Elizabeth": "Liz",
    "Katherine": "Kate",
    "Michael": "Mike",
    "James": "Jim",
    "Richard": "Rick",
    "Thomas": "Tom",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Anthony": "Tony",
    "Joseph": "Joe",
    "Margaret": "Peggy",
    "Jennifer": "Jen",
    "Patricia": "Pat",
    "Alexander": "Alex",
    "Nicholas": "Nick",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Jonathan": "Jon",
    "Andrew": "Andy",
    "Edward": "Ed",
    "Timothy": "Tim",
    "Stephen": "Steve",
    "Steven": "Steve",
    "Gregory": "Greg",
    "Jessica": "Jess",
    "Rebecca": "Becky",
    "Susan": "Sue",
    "Deborah": "Debbie",
    "Kimberly": "Kim",
    "Victoria": "Vicky",
    "Charles": "Charlie",
    "David": "Dave",
    "Johannes": "Hans",
    "Francisco": "Paco",
    "Alejandro": "Alex",
    "Catherine": "Cathy",
    "Christine": "Chris",
    "Kenneth": "Ken",
    "Ronald": "Ron",
    "Donald": "Don",
    "Lawrence": "Larry",
    "Raymond": "Ray",
    "Frederick": "Fred",
    "Abigail": "Abby",
    "Pamela": "Pam",
    "Zachary": "Zach",
}

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def fold_latin(text: str) -> str:
    """ASCII form of a name: accents removed, Cyrillic transliterated (``Zoë`` → ``Zoe``)."""
    if text.isascii():
        return text
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        out = []
        for ch in text:
            low = ch.lower()
            tr = _CYRILLIC.get(low, ch)
            out.append(tr.capitalize() if ch != low and tr else tr)
        return "".join(out)
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("æ", "ae")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _as_list(values: Any) -> list[str]:
    return list(values.keys()) if isinstance(values, dict) else list(values)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NamePool:
    """Native and Latin forms of first and last names for one locale."""

    first_native: np.ndarray
    first_latin: np.ndarray
    last_native: np.ndarray
    last_latin: np.ndarray


@cache
def name_pool(locale: str) -> NamePool:
    """Load one locale's name lists from Faker (once per process)."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    if locale == "ja_JP":
        firsts = list(provider.first_name_pairs)
        lasts = list(provider.last_name_pairs)
        return NamePool(
            np.array([f[0] for f in firsts]),
            np.array([f[2] for f in firsts]),
            np.array([x[0] for x in lasts]),
            np.array([x[2] for x in lasts]),
        )
    first = _as_list(provider.first_names)
    if locale == "pl_PL":
        last = _as_list(provider.unisex_last_names)
    elif locale == "ru_RU":
        last = _as_list(provider.last_names_male)
        first = _as_list(provider.first_names_male)
    else:
        last = _as_list(provider.last_names)
    first = [f for f in first if f.replace("-", "").replace(" ", "").isalpha()]
    last = [x for x in last if x.replace("-", "").replace(" ", "").replace("'", "").isalpha()]
    return NamePool(
        np.array(first),
        np.array([fold_latin(f) for f in first]),
        np.array(last),
        np.array([fold_latin(x) for x in last]),
    )


def slug(values: np.ndarray) -> np.ndarray:
    """Lowercase ASCII tokens for emails and domains (``"Müller-Lüdenscheidt"`` → ``mullerludenscheidt``)."""
    uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
    drop = str.maketrans("", "", " -'.&,")
    mapped = np.array([fold_latin(str(u)).lower().translate(drop) for u in uniq], dtype=object)
    return mapped[inverse].astype(str)


@dataclass(frozen=True)
class NameTable:
    """All countries' name pools flattened into Polars series, with per-country offsets."""

    first_native: pl.Series
    first_latin: pl.Series
    first_slug: pl.Series
    last_native: pl.Series
    last_latin: pl.Series
    last_slug: pl.Series
    first_start: np.ndarray
    first_len: np.ndarray
    last_start: np.ndarray
    last_len: np.ndarray

    def draw(self, rng: np.random.Generator, country_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indexes into the first- and last-name series for people of the given countries."""
        n = len(country_idx)
        fi = self.first_start[country_idx] + (rng.random(n) * self.first_len[country_idx]).astype(np.int64)
        li = self.last_start[country_idx] + (rng.random(n) * self.last_len[country_idx]).astype(np.int64)
        return fi, li


@cache
def name_table() -> NameTable:
    """The flattened pools of every country in :data:`COUNTRIES` (loaded once per process)."""
    pools = [name_pool(c.locale) for c in COUNTRIES]
    first_len = np.array([len(p.first_native) for p in pools])
    last_len = np.array([len(p.last_native) for p in pools])
    first_latin = np.concatenate([p.first_latin for p in pools])
    last_latin = np.concatenate([p.last_latin for p in pools])
    return NameTable(
        first_native=pl.Series(np.concatenate([p.first_native for p in pools]).astype(str)),
        first_latin=pl.Series(first_latin.astype(str)),
        first_slug=pl.Series(slug(first_latin)),
        last_native=pl.Series(np.concatenate([p.last_native for p in pools]).astype(str)),
        last_latin=pl.Series(last_latin.astype(str)),
        last_slug=pl.Series(slug(last_latin)),
        first_start=np.concatenate([[0], np.cumsum(first_len)[:-1]]),
        first_len=first_len,
        last_start=np.concatenate([[0], np.cumsum(last_len)[:-1]]),
        last_len=last_len,
    )


def per_country(rng: np.random.Generator, country_idx: np.ndarray, attr: str) -> pl.Series:
    """A random entry of each row's country's tuple ``attr`` (``cities`` or ``suffixes``)."""
    values = [list(getattr(c, attr)) for c in COUNTRIES]
    lengths = np.array([len(v) for v in values])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = pl.Series([x for v in values for x in v])
    pick = starts[country_idx] + (rng.random(len(country_idx)) * lengths[country_idx]).astype(np.int64)
    return flat.gather(pick)
