"""US geography from the `zipcodes` package (offline): ZIP → state and county, states, counties per state.

The package's own look-up costs about a millisecond; the table is loaded once per process into a dict
(42,000 rows, a few MB) so the ingestion path pays a dictionary look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import zipcodes

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip

# Juiced's test-mode ZIP codes (SPEC §4): not real ZIPs, accepted only for sources in test mode.
TEST_ZIPS = ("00001", "00002", "00003", "00004", "00005")


@dataclass(frozen=True)
class Place:
    zip_code: str
    state: str
    county: str  # as the package names it, e.g. "Los Angeles County", "Orleans Parish"
    city: str


@cache
def _table() -> dict[str, Place]:
    return {
        row["zip_code"]: Place(row["zip_code"], row["state"], row["county"] or "", row["city"] or "")
        for row in zipcodes.list_all()
        if row["state"] in STATE_NAMES
    }


def normalize_zip(value: str) -> str:
    """The 5-digit ZIP of "90210", "90210-1234" or " 90210 "; empty when it is not of that shape."""
    value = (value or "").strip()
    head = value.split("-", 1)[0]
    if len(head) == 5 and head.isdigit() and (head == value or value[6:].isdigit()):
        return head
    return ""


def place_for_zip(zip_code: str) -> Place | None:
    return _table().get(normalize_zip(zip_code))


def normalize_state(value: str) -> str:
    """A USPS code from "ca", "CA" or "California"; empty when unknown."""
    value = (value or "").strip()
    if value.upper() in STATE_NAMES:
        return value.upper()
    lowered = value.lower()
    for code, name in STATE_NAMES.items():
        if name.lower() == lowered:
            return code
    return ""


def county_key(name: str) -> str:
    """A comparison key: case-folded, without a trailing "County"/"Parish"/"Borough" ("Miami-Dade")."""
    name = " ".join((name or "").split()).casefold()
    for suffix in (" county", " parish", " borough", " census area", " municipality"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@cache
def counties_by_state() -> dict[str, list[str]]:
    """Every county per state, sorted by name, for the bid location pickers."""
    found: dict[str, set[str]] = {}
    for place in _table().values():
        if place.county:
            found.setdefault(place.state, set()).add(place.county)
    return {state: sorted(names) for state, names in sorted(found.items())}


def county_in_state(state: str, county: str) -> str:
    """The package's spelling of `county` in `state` (matched by county_key), or empty when unknown."""
    wanted = county_key(county)
    for name in counties_by_state().get(state, []):
        if county_key(name) == wanted:
            return name
    return ""
