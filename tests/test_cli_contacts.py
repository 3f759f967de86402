"""`straatwijs admin contacts`: an operator sets an organisation's local contacts."""

from __future__ import annotations


def lines(out: str) -> dict[str, str]:
    """The contact lines of the output: key -> what the exercises read."""
    rows = [line.split("\t", 1) for line in out.splitlines() if "\t" in line]
    return {row[0]: row[1] for row in rows}


def test_set_show_and_clear(cli):
    assert cli("admin", "org", "add", "Tilburg")[0] == 0
    code, out, err = cli("admin", "contacts", "--org", "Tilburg")
    assert code == 0, err
    assert out.splitlines()[0] == "local contacts of organisation 1: Tilburg"
    shown = lines(out)
    assert list(shown) == [
        "ondermijning_contact",
        "meldpunt",
        "zorg_veiligheidshuis",
        "buiten_kantoortijd",
    ]
    assert all(value.startswith("[national] ") for value in shown.values())
    assert "Meld Misdaad Anoniem, 0800-7000" in shown["meldpunt"]

    code, out, err = cli(
        "admin",
        "contacts",
        "--org",
        "1",
        "--set",
        "meldpunt=Meldpunt Ondermijning Tilburg, 013-123 45 67",
        "--set",
        "buiten_kantoortijd = Piket jongerenwerk: 06-12345678",
    )
    assert code == 0, err
    shown = lines(out)
    assert shown["meldpunt"] == "Meldpunt Ondermijning Tilburg, 013-123 45 67"
    assert shown["buiten_kantoortijd"] == "Piket jongerenwerk: 06-12345678"  # '=' once, trimmed
    assert shown["zorg_veiligheidshuis"].startswith("[national] ")

    code, out, _ = cli("admin", "contacts", "--org", "Tilburg", "--clear", "meldpunt")
    assert code == 0
    assert lines(out)["meldpunt"].startswith("[national] ")
    assert lines(out)["buiten_kantoortijd"] == "Piket jongerenwerk: 06-12345678"


def test_mistakes_are_named_and_change_nothing(cli):
    cli("admin", "org", "add", "Tilburg")
    code, _, err = cli("admin", "contacts", "--org", "Tilburg", "--set", "meldpunten=x")
    assert code == 2
    assert "unknown contact 'meldpunten' (did you mean 'meldpunt'?)" in err
    code, _, err = cli("admin", "contacts", "--org", "Tilburg", "--set", "meldpunt=" + "x" * 161)
    assert code == 2
    assert "at most 160" in err
    code, _, err = cli("admin", "contacts", "--org", "Tilburg", "--set", "meldpunt=a\x07b")
    assert code == 2
    assert "control character (U+0007)" in err
    code, _, err = cli("admin", "contacts", "--org", "Tilburg", "--set", "meldpunt")
    assert code == 2
    assert "--set needs KEY=VALUE" in err
    code, _, err = cli(
        "admin", "contacts", "--org", "Tilburg", "--set", "meldpunt=x", "--clear", "meldpunt"
    )
    assert code == 2
    assert "both set and cleared" in err
    code, _, err = cli("admin", "contacts", "--org", "Eindhoven")
    assert code == 2
    assert "no organisation 'Eindhoven'" in err
    code, out, _ = cli("admin", "contacts", "--org", "Tilburg")
    assert all(value.startswith("[national] ") for value in lines(out).values())
