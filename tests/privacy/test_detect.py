"""The identifying-details detector: focused cases per kind, and measured quality.

The focused cases pin down behaviour that matters for the chat warning (what
must be flagged, and the look-alikes that must not be, like "0800-7000" or "stap
3 van 7"). The corpus test measures precision and recall per kind on
``corpus.yaml`` and fails when quality drops below the agreed floors; run this
module directly (``python -m tests.privacy.test_detect``) to print the table.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import KINDS, find_identifying

CORPUS = Path(__file__).with_name("corpus.yaml")
# Fixed, so that "a full date long enough ago" does not drift with the clock.
TODAY = date(2025, 6, 1)


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_identifying(text, today=TODAY)]


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_identifying(text, today=TODAY)]


# --- the Finding itself ------------------------------------------------------------


def test_finding_holds_no_text():
    text = "Bel Kevin op 06-12345678."
    findings = find_identifying(text, today=TODAY)
    assert findings
    for finding in findings:
        assert [f.name for f in dataclasses.fields(finding)] == ["kind", "start", "end"]
        assert "Kevin" not in repr(finding)
        assert "12345678" not in repr(finding)
        with pytest.raises(dataclasses.FrozenInstanceError):
            finding.kind = "other"  # type: ignore[misc]


def test_empty_and_clean_text():
    assert find_identifying("") == []
    assert find_identifying("Ik heb het besproken met mijn leidinggevende.") == []


def test_findings_are_ordered_and_disjoint():
    text = "Kevin (06-12345678, kevin@example.nl) woont op de Kerkstraat 12, 1234 AB."
    findings = find_identifying(text, today=TODAY)
    assert [f.kind for f in findings] == ["name", "phone", "email", "address", "postcode"]
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start


# --- per kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zijn BSN is 111222333.", "111222333"),
        ("Burgerservicenummer 1234.56.782 stond erop.", "1234.56.782"),
        ("Nummer 123 456 782 op de brief.", "123 456 782"),
    ],
)
def test_bsn_found(text, expected):
    assert found(text) == [("bsn", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Klantnummer 123456789 (faalt de elfproef).",
        "Een bedrag van € 111.222.333 is absurd.",
        "Het ordernummer was 1112223334.",
        "In 2024 waren er 266 aanhoudingen.",
    ],
)
def test_bsn_look_alikes_ignored(text):
    assert "bsn" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bel 06-12345678 even.", "06-12345678"),
        ("Nummer: +31 6 1234 5678.", "+31 6 1234 5678"),
        ("Vast nummer 020-1234567.", "020-1234567"),
        ("Bel (06) 12345678 maar.", "(06) 12345678"),
        ("Zijn oom: 0031 20 123 4567.", "0031 20 123 4567"),
        ("An English number, +44 20 7946 0958.", "+44 20 7946 0958"),
        ("Gestippeld: 06.12.34.56.78.", "06.12.34.56.78"),
        ("Een 06 in een leeg blok: 06-98765432.", "06-98765432"),
    ],
)
def test_phone_found(text, expected):
    assert found(text) == [("phone", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Meld Misdaad Anoniem: 0800-7000.",
        "Bij nood bel je 112.",
        "Politie zonder spoed: 0900-8844.",
        "Veilig Thuis: 0800-2000.",
        "Ik ben 16 en zit in stap 3 van 7.",
        "Om 21:00 en om 23.15 uur.",
        "Het dossier heeft nummer 2024-0815.",
        "Tussen de 14 en 18 jaar, 1 op de 10.",
        "Zijn BSN is 111222333.",
    ],
)
def test_phone_look_alikes_ignored(text):
    assert "phone" not in kinds(text)


def test_phone_does_not_swallow_the_next_number():
    assert found("Bel 06 1234 5678 12 keer.") == [("phone", "06 1234 5678")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail naar j.pietersen@hotmail.com graag.", "j.pietersen@hotmail.com"),
        ("Adres: sanne.devries2008@gmail.com.", "sanne.devries2008@gmail.com"),
    ],
)
def test_email_found(text, expected):
    assert found(text) == [("email", expected)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Naar NL91 ABNA 0417 1643 00 voor de boete.", "NL91 ABNA 0417 1643 00"),
        ("Rekening NL91ABNA0417164300.", "NL91ABNA0417164300"),
        ("Kleine letters nl91abna0417164300 ook.", "nl91abna0417164300"),
        ("Duits: DE89 3704 0044 0532 0130 00.", "DE89 3704 0044 0532 0130 00"),
    ],
)
def test_iban_found(text, expected):
    assert found(text) == [("iban", expected)]


@pytest.mark.parametrize(
    "text",
    ["Foute controle: NL12 ABNA 0417 1643 00.", "Code NL12 3456 en verder niets."],
)
def test_iban_look_alikes_ignored(text):
    assert "iban" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ze woont in 3511 AB.", "3511 AB"),
        ("Postcode 1012AB, verder niets.", "1012AB"),
        ("Postcode 1012ab, verder niets.", "1012ab"),
        ("Postcode 1234 EU klopt echt.", "1234 EU"),
    ],
)
def test_postcode_found(text, expected):
    assert found(text) == [("postcode", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Er waren 1234 mensen.",
        "In 2024 is er veel gebeurd.",
        "In 2024 EU-geld aangevraagd voor de wijk.",
        "Tussen 1990 AD en nu.",
        "Ik liep 1500 m.",
        "Een postcode als 1234 ab met spatie en kleine letters telt niet.",
    ],
)
def test_postcode_look_alikes_ignored(text):
    assert "postcode" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hij hangt rond bij Kerkstraat 12.", "Kerkstraat 12"),
        ("Thuisgebracht naar de Oude Gracht 4a.", "Oude Gracht 4a"),
        ("Ingeschreven op Laan van Meerdervoort 55.", "Laan van Meerdervoort 55"),
        ("Het pand aan de Jan van Galenstraat 112.", "Jan van Galenstraat 112"),
        ("Op de Hoofdweg 210-2 woont zijn oma.", "Hoofdweg 210-2"),
    ],
)
def test_address_found(text, expected):
    assert ("address", expected) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ik liep van de Kerkstraat naar het plein.",
        "Onderweg 3 keer gebeld.",
        "Hij ging weg 2 minuten later.",
        "Er zijn 3 ingangen: via de weg, het plein en het pad.",
        "In het Vondelpark 2 uur gezeten.",
    ],
)
def test_address_look_alikes_ignored(text):
    assert "address" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Een scooter met 12-ABC-3.", "12-ABC-3"),
        ("Een auto, AB-123-C, reed langs.", "AB-123-C"),
        ("Het busje 3-VBN-45 stond er.", "3-VBN-45"),
        ("Oud model 92-HX-LN nog.", "92-HX-LN"),
        ("In kleine letters: ab-123-c.", "ab-123-c"),
        ("Het kenteken was GZ 123 K.", "GZ 123 K"),
        ("Kenteken AB123C, zonder streepjes.", "AB123C"),
    ],
)
def test_plate_found(text, expected):
    assert found(text) == [("plate", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Formulier AB-12 invullen.",
        "Lokaal B-12 op de tweede.",
        "De COVID-19 regels.",
        "Zonder context is AB123C geen kenteken.",
        "Het stond 12-34-56 in de administratie.",
        "Gemengde letters Ab-12-cD zijn geen plaat.",
    ],
)
def test_plate_look_alikes_ignored(text):
    assert "plate" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hij is geboren op 3-4-2008.", "3-4-2008"),
        ("Op het formulier: geb. 03/04/2008.", "03/04/2008"),
        ("Geboortedatum 15-08-2007 in het dossier.", "15-08-2007"),
        ("Hij is op 12 januari 2009 geboren.", "12 januari 2009"),
        ("Ze is jarig op 3 april.", "3 april"),
        ("Geboren in mei 2009, zei de school.", "mei 2009"),
        ("Een datum van lang geleden: 22-11-2009.", "22-11-2009"),
        ("Zijn geboortedatum: 2008-04-03.", "2008-04-03"),
        ("He was born on April 3, 2008.", "April 3, 2008"),
    ],
)
def test_birthdate_found(text, expected):
    assert found(text) == [("birthdate", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Maandag 9:00 overleg.",
        "Hij zegt dat hij in 2008 geboren is.",
        "De vergadering is op 14-06-2024.",
        "Op 12 mei hadden we een bijeenkomst.",
        "Sinds 1-1-2015 geldt de Jeugdwet.",
        "Hij was 3-4 keer eerder in beeld.",
        "We zitten op 3/4 van het plan.",
    ],
)
def test_birthdate_look_alikes_ignored(text):
    assert "birthdate" not in kinds(text)


def test_birthdate_depends_on_how_long_ago():
    text = "Het gebeurde op 14-06-2020."
    assert kinds(text) == []  # five years before TODAY: more likely an event
    assert [f.kind for f in find_identifying(text, today=date(2030, 1, 1))] == ["birthdate"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hij volgt @drillboy020 op insta.", "@drillboy020"),
        ("Haar snapchat: lisa_x08, daar reageert ze.", "lisa_x08"),
        ("Zijn snapchatnaam is kingkev2008.", "kingkev2008"),
        ("Zijn TikTok: dreamteam.010.", "dreamteam.010"),
    ],
)
def test_handle_found(text, expected):
    assert found(text) == [("handle", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Zijn instagram is privé.",
        "Snapchat is het belangrijkste kanaal.",
        "Zijn insta is weg sinds vorige week.",
        "Mail naar kevin@example.nl.",
        "We spraken af @ 21:00 bij het plein.",
    ],
)
def test_handle_look_alikes_ignored(text):
    assert "handle" not in kinds(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ik sprak met Jayden over school.", "Jayden"),
        ("Een jongen genaamd Rayan nam het woord.", "Rayan"),
        ("Ik heb Sara Jansen doorverwezen.", "Sara Jansen"),
        ("De moeder van Dewayne belde.", "Dewayne"),
        ("Mevrouw Bakker klaagt vaak.", "Bakker"),
        ("De buurvrouw, mevrouw De Vries, zag het.", "De Vries"),
        ("Het verslag noemt Milan Visser.", "Milan Visser"),
        ("Iedereen noemt hem 'de Kleine'.", "de Kleine"),
        ("Zijn bijnaam is Skinny.", "Skinny"),
    ],
)
def test_name_found(text, expected):
    assert found(text) == [("name", expected)]


@pytest.mark.parametrize(
    "text",
    [
        "Met Kerst is het druk.",
        "Ik sprak met Politie en Handhaving.",
        "Een collega van Veilig Thuis hielp.",
        "Ik las het in Het Parool.",
        "Zo zegt de Autoriteit Persoonsgegevens het.",
        "Ik heb met Marokkaanse en Turkse jongeren gesproken.",
        "In Rotterdam en Den Haag zien ze hetzelfde.",
        "Bij de Albert Heijn op de hoek.",
        "Samen met Buurtzorg en de GGD.",
        "Mijn leidinggevende zei: Neem een collega mee.",
        "I pointed him to Meld Misdaad Anoniem (Report Crime Anonymously).",
    ],
)
def test_name_look_alikes_ignored(text):
    assert "name" not in kinds(text)


# --- robustness ----------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    ["06-12345678", "Kevin", "Kerkstraat 12", "1234 AB", "@x_1", "geboren op 3-4-2008", " ", "\n"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), _FRAGMENTS), max_size=12).map("".join))
def test_any_text_gives_ordered_disjoint_in_bounds_findings(text):
    findings = find_identifying(text, today=TODAY)
    previous_end = 0
    for finding in findings:
        assert finding.kind in KINDS
        assert previous_end <= finding.start < finding.end <= len(text)
        previous_end = finding.end


# --- measured quality on the corpus ------------------------------------------------


@dataclasses.dataclass
class Score:
    """Finding-level counts: a finding is right when it overlaps a label of its kind."""

    correct: Counter[str] = dataclasses.field(default_factory=Counter)
    found: Counter[str] = dataclasses.field(default_factory=Counter)
    hit: Counter[str] = dataclasses.field(default_factory=Counter)
    labelled: Counter[str] = dataclasses.field(default_factory=Counter)

    def precision(self, kind: str | None = None) -> float:
        right, total = self._pick(self.correct, self.found, kind)
        return right / total if total else 1.0

    def recall(self, kind: str | None = None) -> float:
        right, total = self._pick(self.hit, self.labelled, kind)
        return right / total if total else 1.0

    @staticmethod
    def _pick(part: Counter[str], whole: Counter[str], kind: str | None) -> tuple[int, int]:
        if kind is None:
            return sum(part.values()), sum(whole.values())
        return part[kind], whole[kind]

    def table(self) -> str:
        rows = [
            "| kind | labelled | found | precision | recall |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for kind in (*KINDS, None):
            rows.append(
                f"| {kind or '**all**'} | {self._pick(self.hit, self.labelled, kind)[1]} "
                f"| {self._pick(self.correct, self.found, kind)[1]} "
                f"| {self.precision(kind):.2f} | {self.recall(kind):.2f} |"
            )
        return "\n".join(rows)


def load_corpus() -> list[dict]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def score_corpus(items: list[dict]) -> tuple[Score, list[str]]:
    """Score the detector on labelled items; also list what went wrong, readably."""
    score = Score()
    errors: list[str] = []
    for item in items:
        text = item["text"]
        labels = []
        for kind, snippet in item["find"]:
            start = text.index(str(snippet))
            labels.append((kind, start, start + len(str(snippet))))
        findings = find_identifying(text, today=TODAY)
        for kind, start, end in labels:
            score.labelled[kind] += 1
            if any(f.kind == kind and f.start < end and f.end > start for f in findings):
                score.hit[kind] += 1
            else:
                errors.append(f"missed {kind} {text[start:end]!r} in {text!r}")
        for f in findings:
            score.found[f.kind] += 1
            if any(
                f.kind == kind and f.start < end and f.end > start for kind, start, end in labels
            ):
                score.correct[f.kind] += 1
            else:
                errors.append(f"wrong {f.kind} {text[f.start : f.end]!r} in {text!r}")
    return score, errors


def test_corpus_is_well_formed():
    items = load_corpus()
    assert len(items) >= 170
    for item in items:
        assert set(item) == {"text", "find"}, item
        for kind, snippet in item["find"]:
            assert kind in KINDS, item
            assert str(snippet) in item["text"], item
    texts = [item["text"] for item in items]
    assert len(texts) == len(set(texts)), "duplicate corpus texts"
    clean = sum(1 for item in items if not item["find"])
    assert clean >= len(items) / 3, "keep plenty of clean look-alikes in the corpus"


def test_corpus_precision_and_recall():
    score, errors = score_corpus(load_corpus())
    report = score.table() + "\n" + "\n".join(errors)
    print("\n" + report)  # noqa: T201 - the table is this test's report (pytest -s / -rP)
    assert score.precision() >= 0.9, report
    assert score.recall() >= 0.9, report
    for kind in KINDS:
        if kind == "name":
            assert score.precision(kind) >= 0.8, report
        else:
            assert score.recall(kind) >= 0.8, report


if __name__ == "__main__":
    _score, _errors = score_corpus(load_corpus())
    print(_score.table())  # noqa: T201
    print("\n".join(_errors))  # noqa: T201
