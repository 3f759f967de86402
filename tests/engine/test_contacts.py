"""`{contact.<key>}` placeholders: the organisation's value, else the national route
in the person's language."""

from __future__ import annotations

from bot.engine import Context, Engine, RunState

LOCAL = "Meldpunt Ondermijning Tilburg, 013-123 45 67"


def shown(engine: Engine, dialogue_id: str, state: str, ctx: Context) -> list[str]:
    compiled = engine.dialogue(dialogue_id)
    run = RunState(dialogue_id, compiled.version, state)
    return [reply.text for reply in engine.render.state(compiled, run, ctx)]


def test_a_set_contact_is_read_and_an_unset_one_falls_back(shared_engine: Engine) -> None:
    ctx = Context("nl", "Sam", {"meldpunt": LOCAL})
    local = shown(shared_engine, "anijsgeur", "steun_tip", ctx)
    assert local[0].startswith(f"Het meldpunt van jouw gemeente: {LOCAL}. Zet het nummer")
    national = shown(shared_engine, "anijsgeur", "steun_tip", Context("nl", "Sam"))
    assert "Meld Misdaad Anoniem, 0800-7000" in national[0]
    assert LOCAL not in national[0]
    assert "{" not in national[0]
    english = shown(shared_engine, "anijsgeur", "steun_tip", Context("en", "Sam"))
    assert english[0].startswith("Your municipality's reporting point: ask your manager")
    # Another organisation's contact (or an empty one) is no reason to leave the fallback.
    other = Context("nl", "Sam", {"buiten_kantoortijd": "Piket", "meldpunt": ""})
    assert shown(shared_engine, "anijsgeur", "steun_tip", other) == national


def test_cards_and_every_key_are_filled(shared_engine: Engine) -> None:
    ctx = Context("nl", "Sam", {"zorg_veiligheidshuis": "ZVH Hart van Brabant, 013-9"})
    card = shown(shared_engine, "casusoverleg", "tafel", ctx)[-1]
    assert "Jouw Zorg- en Veiligheidshuis: ZVH Hart van Brabant, 013-9." in card
    card = shown(shared_engine, "wat_deed_het", "dreiging_ja", Context("nl"))[-1]
    assert "• Buiten kantoortijd bel je: bij direct gevaar 112, anders de politie op 0900-8844" in (
        card
    )
    compiled = shared_engine.dialogue("politiewerk")
    values = shared_engine.render.placeholder_values(compiled, {}, ctx)
    assert values["contact.zorg_veiligheidshuis"] == "ZVH Hart van Brabant, 013-9"
    assert "0900-8844" in values["contact.ondermijning_contact"]


def test_only_dialogues_that_name_a_contact_need_them(shared_engine: Engine) -> None:
    assert shared_engine.uses_contacts("anijsgeur")
    assert shared_engine.uses_contacts("scooter")
    assert not shared_engine.uses_contacts("drijfveren")
    assert not shared_engine.uses_contacts("no-such-dialogue")
