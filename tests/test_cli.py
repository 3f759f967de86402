"""The `straatwijs` command as an operator and an author use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

BROKEN = """\
id: kapot
kind: zelfkennis
part: zelfkennis
title: drijfveren.title
minutes: 3
start: begin
states:
  begin:
    say: drijfveren.intro
    ask: {chioce: {options: {a: drijfveren.opt_start}}}
    next: einde
  einde: {say: drijfveren.slot, end: true}
"""


def test_validate_the_repository(cli):
    code, out, _ = cli("validate", "--locale", "en")
    assert code == 0
    assert out.startswith("ok: ")


def test_validate_reports_file_line_and_hint(cli, tmp_path):
    broken = tmp_path / "kapot.yaml"
    broken.write_text(BROKEN)
    code, out, _ = cli("validate", str(broken))
    assert code == 1
    assert (
        f"{broken}:10: unknown key 'chioce'" in out or "kapot.yaml:10: unknown key 'chioce'" in out
    )
    assert "did you mean 'choice'?" in out


def test_validate_unknown_locale(cli):
    code, out, _ = cli("validate", "--locale", "xx")
    assert code == 1
    assert "unknown locale 'xx'" in out


def test_list_is_tab_separated(cli):
    code, out, _ = cli("list")
    assert code == 0
    lines = out.strip().splitlines()
    assert any(line.startswith("drijfveren\tzelfkennis\tzelfkennis\t") for line in lines)
    for line in lines:
        _did, kind, part, title = line.split("\t")
        assert kind in ("zelfkennis", "bewustwording", "straatscenario")
        assert part in (
            "kennis",
            "bewustwording",
            "handelingsintelligentie",
            "zelfkennis",
            "verbinding",
        )
        assert title


def test_graph_mermaid_and_dot(cli):
    code, out, _ = cli("graph", "drijfveren")
    assert code == 0
    assert out.startswith("stateDiagram-v2")
    assert "zeker --> steun : zekerheid <= 2" in out
    code, out, _ = cli("graph", "drijfveren", "--format", "dot")
    assert code == 0
    assert out.startswith('digraph "drijfveren"')
    assert '"intro" -> "tot_later" [label="later"];' in out


def test_graph_unknown_dialogue(cli):
    code, _, err = cli("graph", "drijfveer")
    assert code == 2
    assert "Did you mean 'drijfveren'?" in err


def test_schema_is_json_schema(cli):
    import json

    code, out, _ = cli("schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) >= {"id", "kind", "part", "title", "minutes", "start", "states"}


def test_try_from_a_pipe_then_export(cli, tmp_path):
    script = "\n".join(
        [
            "1",
            "x",
            "Een gesprek op het plein gaf me energie",
            "2,3",
            "9",
            "4",
            "Nooit alleen naar binnen",
        ]
    )
    code, out, _ = cli("try", "drijfveren", "--user", "sam", stdin=script + "\n")
    assert code == 0
    assert "[stap 1 van 6]" in out
    assert "Schrijf er iets meer over: minstens 10 tekens" in out  # "x" was re-prompted
    assert "Kies een getal van 1 tot en met 5" in out  # "9" was re-prompted
    assert "Je koos voor Verbinding, Zorg voor anderen" in out  # the end, with a placeholder

    code, out, _ = cli("export", "--format", "csv")
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.startswith("person,organisations,groups,dialogue_id")
    assert len(rows) == 4
    assert "Een gesprek op het plein gaf me energie" in out
    assert "sam" not in out  # pseudonymised

    target = tmp_path / "antwoorden.xlsx"
    code, _, err = cli("export", "--format", "xlsx", "--output", str(target))
    assert code == 0
    assert "4 answer(s)" in err
    sheet = load_workbook(target).active
    assert sheet.max_row == 5
    assert sheet["J1"].value == "answer"


def test_try_resumes_when_input_ran_out(cli):
    code, _, _ = cli("try", "drijfveren", "--user", "kim", stdin="1\n")
    assert code == 0
    code, out, _ = cli("try", "drijfveren", "--user", "kim", stdin="")
    assert code == 0
    assert "[stap 2 van 6]" in out  # continues at the question where kim stopped


def test_try_pause_command(cli):
    code, out, _ = cli("try", "drijfveren", "--user", "kim", stdin="1\n/pauze\n")
    assert code == 0
    assert "Gepauzeerd" in out


def test_try_in_english(cli, monkeypatch):
    monkeypatch.setenv("STRAATWIJS_LOCALE", "en")
    code, out, _ = cli("try", "drijfveren", "--user", "alex", stdin="2\n")
    assert code == 0
    assert "[step 1 of 6]" in out
    assert "You will find this exercise" in out


def test_try_unknown_dialogue(cli):
    code, _, err = cli("try", "onbekend")
    assert code == 2
    assert "unknown dialogue 'onbekend'" in err


def test_unknown_locale_setting_refuses_to_start(cli, monkeypatch):
    monkeypatch.setenv("STRAATWIJS_LOCALE", "fr")
    code, _, err = cli("try", "drijfveren", stdin="")
    assert code == 1
    assert "unknown locale 'fr'" in err


def test_invalid_dialogue_set_refuses_to_start(cli, monkeypatch, tmp_path):
    folder = tmp_path / "dialogues"
    folder.mkdir()
    (folder / "kapot.yaml").write_text(BROKEN)
    monkeypatch.setenv("STRAATWIJS_DIALOGUES_DIR", str(folder))
    code, _, err = cli("try", "kapot", stdin="")
    assert code == 1
    assert "kapot.yaml:10: unknown key 'chioce'" in err


def test_bad_setting_is_named(cli, monkeypatch):
    monkeypatch.setenv("STRAATWIJS_LOG_LEVEL", "LOUD")
    code, _, err = cli("list")
    assert code == 2
    assert "STRAATWIJS_LOG_LEVEL" in err


def test_admin_org_group_invite(cli):
    assert cli("admin", "org", "add", "Tilburg")[0] == 0
    code, _, err = cli("admin", "org", "add", "Tilburg")
    assert code != 0
    code, out, _ = cli("admin", "group", "add", "--org", "Tilburg", "Jongerenwerk Noord")
    assert code == 0
    assert "Tilburg/Jongerenwerk Noord" in out
    code, out, _ = cli(
        "admin",
        "invite",
        "--group",
        "Jongerenwerk Noord",
        "--role",
        "trainer",
        "--bot",
        "straatwijs_bot",
    )
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert last.startswith("https://t.me/straatwijs_bot?start=")
    code, _, err = cli("admin", "invite", "--group", "Bestaat niet", "--role", "trainer")
    assert code == 2
    assert "no group 'Bestaat niet'" in err


def test_unreachable_database_is_a_clear_error(tmp_path):
    """A real process: no traceback wall, a non-zero exit and a readable reason."""
    env = {
        "PATH": "/usr/bin:/bin",
        "STRAATWIJS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot migrate the database" in result.stderr


def test_console_script_pipes_a_dialogue(cli_env, tmp_path):
    """The README's example, as a shell would run it."""
    exe = Path(sys.executable).parent / "straatwijs"
    result = subprocess.run(
        [str(exe), "try", "drijfveren", "--user", "pipe"],
        input="2\n",
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "/oefeningen" in result.stdout


def test_docs_diagrams_are_up_to_date(cli, repo_root, tmp_path):
    """docs/dialogues/ is generated from the YAML; CI fails when it is stale."""
    code, _out, _ = cli("graph", "--all", "--output", str(tmp_path / "pages"))
    assert code == 0
    generated = {p.name: p.read_text() for p in (tmp_path / "pages").glob("*.md")}
    committed = {p.name: p.read_text() for p in (repo_root / "docs" / "dialogues").glob("*.md")}
    assert generated.keys() == committed.keys(), (
        "run: straatwijs graph --all --output docs/dialogues"
    )
    stale = [name for name in generated if generated[name] != committed[name]]
    assert stale == [], (
        f"stale diagrams {stale}; run: straatwijs graph --all --output docs/dialogues"
    )


def test_readme_lists_every_exercise(cli, repo_root):
    code, out, _ = cli("list")
    assert code == 0
    readme = (repo_root / "README.md").read_text()
    missing = [
        line.split("\t")[0]
        for line in out.splitlines()
        if f"`{line.split(chr(9))[0]}`" not in readme
    ]
    assert missing == [], f"add these to the README's Exercises section: {missing}"
