"""The renderer's caches: what is kept per (dialogue, state, locale) must never leak a person.

Each test builds its own Engine, so its caches start empty and the order of the
calls decides what gets cached first.
"""

from __future__ import annotations

from bot.dialogues.catalog import Catalog
from bot.dialogues.content import fill
from bot.engine import Confirm, Context, Continue, Engine, Pick, RunState, Say, Toggle
from tests.engine.helpers import EN, NL, texts, walk

TO_GEVOEL = [Continue(), Pick("wijkagent"), Toggle("school"), Confirm()]


def test_a_cached_state_greets_each_person_by_their_own_name(catalog: Catalog) -> None:
    engine = Engine(catalog)
    for name in ("Sam", "Ayşe", "Sam", ""):
        outcome = engine.start("oefening", Context("nl", name))
        greeting, _, card = outcome.replies
        assert greeting.text == f"Hoi {name}!"
        assert card.text == f"Gezag krijg je, {name}; je dwingt het niet af."
        assert card.title == "📘 Preventie met gezag"


def test_a_cached_state_fills_each_persons_own_answers(catalog: Catalog) -> None:
    engine = Engine(catalog)
    agent = walk(engine, "oefening", TO_GEVOEL, NL).last
    worker = walk(engine, "oefening", [Continue(), Pick("jongerenwerker")], NL).last
    assert texts(agent)[-1] == "Hoe sterk sta je erin, als Wijkagent?"
    assert worker.replies[-1].text == "Waar speelt het?"
    worker = walk(engine, "oefening", [Toggle("straat"), Confirm()], NL, worker.run).last
    assert texts(worker)[-1] == "Hoe sterk sta je erin, als Jongerenwerker?"
    again = engine.resume(agent.run, NL)
    assert again.replies[-1].text == "Hoe sterk sta je erin, als Wijkagent?"


def test_a_placeholder_whose_answer_is_missing_stays_visible(catalog: Catalog) -> None:
    engine = Engine(catalog)
    at = walk(engine, "oefening", TO_GEVOEL, NL).run
    forgotten = RunState(at.dialogue_id, at.version, at.state, {}, at.history, step=at.step)
    assert engine.resume(forgotten, NL).replies[-1].text == "Hoe sterk sta je erin, als {rol}?"
    assert engine.resume(at, NL).replies[-1].text == "Hoe sterk sta je erin, als Wijkagent?"


def test_ticked_options_belong_to_one_person(catalog: Catalog) -> None:
    engine = Engine(catalog)
    to_thema = [Continue(), Pick("wijkagent")]
    one = walk(engine, "oefening", [*to_thema, Toggle("school"), Toggle("online")], NL).last
    other = walk(engine, "oefening", to_thema, NL).last
    assert one.replies[-1].widget is not None
    assert other.replies[-1].widget is not None
    ticked = {o.id for o in one.replies[-1].widget.options if o.selected}
    assert ticked == {"school", "online"}
    assert not any(o.selected for o in other.replies[-1].widget.options)
    assert other.replies[-1].widget.step == other.run.step != one.run.step


def test_locales_do_not_bleed_into_each_other(catalog: Catalog) -> None:
    engine = Engine(catalog)
    for ctx in (NL, EN, Context("xx", "Sam"), EN, NL):
        outcome = walk(engine, "oefening", [Continue()], ctx).last
        question = outcome.replies[-1]
        assert question.widget is not None
        assert question.progress is not None
        labels = [o.label for o in question.widget.options]
        nav = [o.label for o in question.widget.nav]
        english = ctx.locale == "en"
        assert question.text == ("What is your role?" if english else "Wat is je rol?")
        assert labels[0] == ("Youth worker" if english else "Jongerenwerker")
        assert nav == [
            engine.catalog.text(ctx.locale, f"common.nav.{a}") for a in ("back", "pause", "stop")
        ]
        assert question.progress.label == fill(
            engine.catalog.text(ctx.locale, "common.progress"), {"step": "2", "total": "6"}
        )
        assert outcome.echo is None
        echoed = engine.handle(outcome.run, Pick("wijkagent"), ctx)
        assert echoed.echo is not None
        assert ("Community officer" if english else "Wijkagent") in echoed.echo


def test_the_cache_is_bounded_by_the_catalog_not_by_people(catalog: Catalog) -> None:
    engine = Engine(catalog)
    for i in range(50):
        ctx = Context(("nl", "en", "xx", f"z{i}")[i % 4], f"Person {i}")
        walk(engine, "oefening", [*TO_GEVOEL, str(i % 11), "yes", "Een kort verhaal"], ctx)
    states = len(catalog.dialogues["oefening"].spec.states)
    # Unknown locales share the default locale's entries; names and answers are no key.
    assert len(engine.render._prepared) <= states * len(catalog.locales)
    assert {key[3] for key in engine.render._prepared} <= set(catalog.locales)


def test_cached_rendering_matches_rendering_from_scratch(catalog: Catalog) -> None:
    """Every state, in every locale, for two people: the texts as the catalog fills them."""
    engine = Engine(catalog)
    compiled = engine.dialogue("oefening")
    answers = [
        {"rol": "wijkagent", "themas": ["school", "online"], "gevoel": 2, "hulp": "yes"},
        {"rol": "anders", "verhaal": "Het ging goed"},
    ]
    for code in (*catalog.locales, "xx"):
        for name, given in zip(("Sam", "Noor"), answers, strict=True):
            ctx = Context(code, name)
            values = engine.render.placeholder_values(compiled, given, ctx)
            for state_name, state in compiled.spec.states.items():
                run = RunState("oefening", compiled.version, state_name, given, ("welkom",))
                shown = engine.render.state(compiled, run, ctx)
                says = [fill(catalog.text(code, key), values) for key in state.says]
                assert [r.text for r in shown[: len(says)]] == says
                if state.card:
                    body = fill(catalog.text(code, f"{state.card}.body"), values)
                    assert shown[-1].text == body
                if not state.end:
                    assert shown[-1] == engine.render.question(compiled, run, ctx)
                    assert shown[-1].widget == engine.render.widget(compiled, run, ctx)
                    assert shown[-1].progress == engine.render.progress(compiled, run, ctx)


def test_typed_answers_are_read_in_the_persons_locale(catalog: Catalog) -> None:
    engine = Engine(catalog)
    at_rol = walk(engine, "oefening", [Continue()], NL).run
    assert engine.handle(at_rol, Say("Wijkagent"), NL).status == "advanced"
    assert engine.handle(at_rol, Say("Community officer"), EN).status == "advanced"
    assert engine.handle(at_rol, Say("Community officer"), NL).status == "rejected"


def test_progress_is_kept_per_steps_done_not_per_state(catalog: Catalog) -> None:
    """`verhaal` comes after four steps, or five by way of `steun`: each sees their own count."""
    engine = Engine(catalog)
    direct = walk(engine, "oefening", [*TO_GEVOEL, "7"], NL).last
    detour = walk(engine, "oefening", [*TO_GEVOEL, "2", "ja"], NL).last
    assert direct.run.state == detour.run.state == "verhaal"
    shown = [o.replies[-1].progress for o in (direct, detour, direct)]
    assert [(p.step, p.total) for p in shown if p] == [(5, 5), (6, 6), (5, 5)]
    assert [p.label for p in shown if p] == ["stap 5 van 5", "stap 6 van 6", "stap 5 van 5"]


def test_echoes_read_back_each_persons_own_answer(catalog: Catalog) -> None:
    engine = Engine(catalog)
    at_gevoel = walk(engine, "oefening", TO_GEVOEL, NL).run
    echoes = [engine.handle(at_gevoel, Say(str(n)), ctx).echo for n, ctx in ((7, NL), (2, EN))]
    assert echoes[0] is not None
    assert echoes[1] is not None
    assert "7" in echoes[0]
    assert "2" in echoes[1]
    assert echoes[0] == fill(engine.catalog.text("nl", "common.echo"), {"answer": "7"})
    assert echoes[1] == fill(engine.catalog.text("en", "common.echo"), {"answer": "2"})
