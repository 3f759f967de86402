"""The engine, input by input, on the fixture dialogue `oefening`.

welkom (continue, card) -> rol (choice) -> thema (multi) -> gevoel (scale 0-10)
-> steun (yesno, when a low score from a wijkagent or the theme `online`)
-> verhaal (text 5-40) -> slot (end); rol `anders` -> elders (end).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.dialogues.catalog import load_valid_catalog
from bot.engine import (
    Answer,
    Confirm,
    Context,
    Continue,
    Engine,
    Media,
    Nav,
    Pick,
    RunState,
    Say,
    Toggle,
    UnknownDialogue,
)
from tests.engine.helpers import EN, FIXTURES, LOCALES, NL, text, texts, walk

TO_ROL = [Continue()]
TO_THEMA = [*TO_ROL, Pick("wijkagent")]
TO_GEVOEL = [*TO_THEMA, Toggle("school"), Confirm()]
TO_VERHAAL = [*TO_GEVOEL, "7"]
TO_STEUN = [*TO_GEVOEL, "2"]


def at(engine: Engine, inputs: list, ctx: Context = NL) -> RunState:
    """The run after `inputs`, each of which must have been accepted."""
    transcript = walk(engine, "oefening", inputs, ctx)
    assert "rejected" not in transcript.statuses, transcript.statuses
    return transcript.run


def assert_rejected(engine: Engine, run: RunState, given, fragment: str, ctx: Context = NL) -> None:
    outcome = engine.handle(run, given, ctx)
    assert outcome.status == "rejected"
    assert outcome.run is run
    assert not outcome.changed
    assert outcome.answer is None
    [reply] = outcome.replies
    assert reply.kind == "reprompt"
    assert fragment in reply.text
    assert reply.widget is not None  # the question's buttons come along with the re-prompt
    assert reply.widget.step == run.step


# -- starting -------------------------------------------------------------------


def test_start_greets_by_name_and_shows_the_card_with_a_continue_button(engine: Engine) -> None:
    outcome = engine.start("oefening", NL)
    assert outcome.status == "started"
    assert outcome.run == RunState("oefening", outcome.run.version, "welkom")
    assert [r.kind for r in outcome.replies] == ["say", "say", "card"]
    greeting, explanation, card = outcome.replies
    assert greeting.text == "Hoi Sam!"
    assert explanation.text == "Deze oefening duurt drie minuten."
    assert card.title == "📘 Preventie met gezag"
    assert card.text == "Gezag krijg je, Sam; je dwingt het niet af."
    assert greeting.widget is None
    assert explanation.widget is None
    assert card.widget is not None
    assert card.widget.kind == "continue"
    assert [(o.id, o.label) for o in card.widget.options] == [("continue", "Verder ➡️")]
    assert [o.id for o in card.widget.nav] == ["pause", "stop"]  # no way back yet
    assert card.progress is not None
    assert card.progress.label == "stap 1 van 6"


def test_an_unknown_dialogue_is_refused(engine: Engine) -> None:
    with pytest.raises(UnknownDialogue):
        engine.start("bestaat_niet", NL)


def test_texts_follow_the_locale(engine: Engine) -> None:
    outcome = engine.start("oefening", EN)
    assert texts(outcome)[:2] == ["Hi Sam!", "This exercise takes three minutes."]
    card = outcome.replies[-1]
    assert card.text == "Authority is given to you, Sam; you cannot force it."
    assert card.title == "📘 Prevention with authority"
    assert card.widget is not None
    assert card.widget.options[0].label == "Continue ➡️"
    assert [o.label for o in card.widget.nav] == ["⏸ Pause", "⏹ Stop"]
    assert card.progress is not None
    assert card.progress.label == "step 1 of 6"
    assert_rejected(engine, outcome.run, Say("hmm"), "Tap ‘Continue’", EN)


def test_an_empty_first_name_leaves_no_placeholder(engine: Engine) -> None:
    outcome = engine.start("oefening", Context("nl", ""))
    assert outcome.replies[0].text == "Hoi !"


# -- continue --------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [Continue(), Confirm(), Pick("continue"), Say(""), Say("ok"), Say("Verder"), Say("verder ➡️")],
    ids=repr,
)
def test_continue_accepts_the_button_and_a_few_words(engine: Engine, given) -> None:
    run = engine.start("oefening", NL).run
    outcome = engine.handle(run, given, NL)
    assert outcome.status == "advanced"
    assert outcome.run.state == "rol"
    assert outcome.answer is None
    assert outcome.echo is None  # nothing was answered


@pytest.mark.parametrize("given", [Say("hallo"), Toggle("x"), Pick("rol")], ids=repr)
def test_continue_rejects_anything_else(engine: Engine, given) -> None:
    run = engine.start("oefening", NL).run
    assert_rejected(engine, run, given, "Tik op ‘Verder’")


# -- choice ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [Pick("wijkagent"), Say("2"), Say("Wijkagent"), Say("  wijkagent! "), Say("WIJKAGENT")],
    ids=repr,
)
def test_choice_by_button_number_or_label(engine: Engine, given) -> None:
    run = at(engine, TO_ROL)
    outcome = engine.handle(run, given, NL)
    assert outcome.status == "advanced"
    assert outcome.run.state == "thema"
    assert outcome.run.answers == {"rol": "wijkagent"}
    assert outcome.answer == Answer("rol", "rol", "choice", "wijkagent")
    assert outcome.echo == "Jouw antwoord: Wijkagent"


def test_choice_by_option_id(engine: Engine) -> None:
    outcome = engine.handle(at(engine, TO_ROL), Say("anders"), NL)
    assert outcome.status == "finished"
    assert outcome.run.state == "elders"


def test_choice_widget_lists_labels_in_order(engine: Engine) -> None:
    question = walk(engine, "oefening", TO_ROL).last.replies[-1]
    assert question.text == "Wat is je rol?"
    assert question.widget is not None
    assert question.widget.kind == "choice"
    assert [(o.id, o.label) for o in question.widget.options] == [
        ("jongerenwerker", "Jongerenwerker"),
        ("wijkagent", "Wijkagent"),
        ("anders", "Iets anders"),
    ]
    assert [o.id for o in question.widget.nav] == ["back", "pause", "stop"]


@pytest.mark.parametrize(
    "given", [Say("4"), Say("0"), Say("politie"), Say(""), Pick("zzz"), Confirm()], ids=repr
)
def test_choice_rejects_what_is_not_an_option(engine: Engine, given) -> None:
    assert_rejected(engine, at(engine, TO_ROL), given, "typ het nummer van je keuze (1 tot 3)")


# -- multi -----------------------------------------------------------------------


def test_multi_toggles_and_confirms(engine: Engine) -> None:
    run = at(engine, TO_THEMA)
    first = engine.handle(run, Toggle("online"), NL)
    assert first.status == "toggled"
    assert first.changed
    assert first.run.pending == ("online",)
    assert first.run.step == run.step + 1  # older buttons are stale now
    second = engine.handle(first.run, Toggle("school"), NL)
    assert second.run.pending == ("school", "online")  # in the order of the options
    [question] = second.replies
    assert question.widget is not None
    assert [o.selected for o in question.widget.options] == [True, False, False, True]
    assert question.widget.confirm == "Klaar ✅"
    assert question.widget.step == second.run.step
    off = engine.handle(second.run, Toggle("online"), NL)
    assert off.run.pending == ("school",)
    done = engine.handle(second.run, Confirm(), NL)
    assert done.status == "advanced"
    assert done.run.state == "gevoel"
    assert done.run.answers["themas"] == ["school", "online"]
    assert done.run.pending == ()
    assert done.answer == Answer("themas", "thema", "multi", ["school", "online"])
    assert done.echo == "Jouw antwoord: Op school, Online"


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [
        ("1,3", ["school", "thuis"]),
        ("3, 1", ["school", "thuis"]),
        ("1 3", ["school", "thuis"]),
        ("2;2", ["straat"]),
        ("Op straat, online", ["straat", "online"]),
        ("thuis", ["thuis"]),
        ("thuis, bij het gezin", ["thuis"]),  # one label with a comma in it
        ("Op school; 4", ["school", "online"]),
    ],
)
def test_multi_typed_numbers_or_labels(engine: Engine, typed: str, chosen: list[str]) -> None:
    outcome = engine.handle(at(engine, TO_THEMA), Say(typed), NL)
    assert outcome.status == "advanced"
    assert outcome.run.answers["themas"] == chosen


def test_multi_needs_at_least_min(engine: Engine) -> None:
    assert_rejected(engine, at(engine, TO_THEMA), Confirm(), "Kies er minstens 1")


def test_multi_refuses_more_than_max(engine: Engine) -> None:
    run = at(engine, [*TO_THEMA, Toggle("school"), Toggle("straat"), Toggle("thuis")])
    assert run.pending == ("school", "straat", "thuis")
    assert_rejected(engine, run, Toggle("online"), "hoogstens 3")
    assert_rejected(engine, run, Say("1,2,3,4"), "hoogstens 3")


@pytest.mark.parametrize("given", [Say("5"), Say("1,9"), Say("overal"), Toggle("zzz")], ids=repr)
def test_multi_rejects_unknown_options(engine: Engine, given) -> None:
    assert_rejected(engine, at(engine, TO_THEMA), given, "(1 tot 4)")


def test_multi_typed_answer_replaces_toggled_ones(engine: Engine) -> None:
    run = at(engine, [*TO_THEMA, Toggle("school")])
    outcome = engine.handle(run, Say("4"), NL)
    assert outcome.run.answers["themas"] == ["online"]


# -- scale -----------------------------------------------------------------------


def test_scale_widget_has_every_number_and_end_labels(engine: Engine) -> None:
    question = walk(engine, "oefening", TO_GEVOEL).last.replies[-1]
    assert question.widget is not None
    assert question.widget.kind == "scale"
    assert [o.id for o in question.widget.options] == [str(n) for n in range(11)]
    assert (question.widget.min, question.widget.max) == (0, 10)
    assert (question.widget.low, question.widget.high) == ("zwak", "sterk")


@pytest.mark.parametrize("given", [Pick("7"), Say("7"), Say(" 7 "), Say("+7")], ids=repr)
def test_scale_by_button_or_typed(engine: Engine, given) -> None:
    outcome = engine.handle(at(engine, TO_GEVOEL), given, NL)
    assert outcome.status == "advanced"
    assert outcome.run.answers["gevoel"] == 7
    assert outcome.answer == Answer("gevoel", "gevoel", "scale", 7)
    assert outcome.echo == "Jouw antwoord: 7"


@pytest.mark.parametrize("value", ["0", "10"])
def test_scale_ends_are_allowed(engine: Engine, value: str) -> None:
    outcome = engine.handle(at(engine, TO_GEVOEL), Say(value), NL)
    assert outcome.run.answers["gevoel"] == int(value)


@pytest.mark.parametrize(
    "given",
    [Say("11"), Say("-1"), Say("7.5"), Say("zeven"), Say(""), Pick("99"), Toggle("3"), Continue()],
    ids=repr,
)
def test_scale_rejects_what_is_off_the_scale(engine: Engine, given) -> None:
    assert_rejected(engine, at(engine, TO_GEVOEL), given, "Kies een getal van 0 tot en met 10.")


# -- text ------------------------------------------------------------------------


def test_text_is_stored_without_surrounding_space(engine: Engine) -> None:
    outcome = engine.handle(at(engine, TO_VERHAAL), Say("  Het liep goed af.  "), NL)
    assert outcome.status == "finished"
    assert outcome.run.state == "slot"
    assert outcome.run.status == "finished"
    assert outcome.run.answers["verhaal"] == "Het liep goed af."
    assert outcome.answer == Answer("verhaal", "verhaal", "text", "Het liep goed af.")
    assert outcome.echo is None  # a typed text is not echoed back


def test_text_limits_are_inclusive(engine: Engine) -> None:
    run = at(engine, TO_VERHAAL)
    assert engine.handle(run, Say("x" * 5), NL).status == "finished"
    assert engine.handle(run, Say("x" * 40), NL).status == "finished"


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        (Say(""), "Ik zie nog geen tekst."),
        (Say("   \n "), "Ik zie nog geen tekst."),
        (Pick("ja"), "Ik zie nog geen tekst."),
        (Say("kort"), "minstens 5 tekens. Nu zijn het er 4."),
        (Say("x" * 41), "maximaal 40 tekens, jij schreef er 41."),
    ],
    ids=repr,
)
def test_text_rejects_empty_short_and_long(engine: Engine, given, fragment: str) -> None:
    assert_rejected(engine, at(engine, TO_VERHAAL), given, fragment)


def test_text_widget_carries_its_limits(engine: Engine) -> None:
    question = walk(engine, "oefening", TO_VERHAAL).last.replies[-1]
    assert question.widget is not None
    assert (question.widget.kind, question.widget.min, question.widget.max) == ("text", 5, 40)
    assert question.widget.options == ()


# -- yes/no ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "value"),
    [
        (Pick("yes"), "yes"),
        (Pick("no"), "no"),
        (Say("ja"), "yes"),
        (Say("Ja!"), "yes"),
        (Say("j"), "yes"),
        (Say("nee"), "no"),
        (Say("NEE"), "no"),
        (Say("1"), "yes"),
        (Say("2"), "no"),
    ],
    ids=repr,
)
def test_yesno_by_button_or_typed(engine: Engine, given, value: str) -> None:
    outcome = engine.handle(at(engine, TO_STEUN), given, NL)
    assert outcome.status == "advanced"
    assert outcome.run.state == "verhaal"
    assert outcome.run.answers["hulp"] == value
    assert outcome.echo == f"Jouw antwoord: {'Ja' if value == 'yes' else 'Nee'}"


@pytest.mark.parametrize(("typed", "value"), [("yes", "yes"), ("No", "no"), ("ja", "yes")])
def test_yesno_typed_in_english(engine: Engine, typed: str, value: str) -> None:
    outcome = engine.handle(at(engine, TO_STEUN, EN), Say(typed), EN)
    assert outcome.run.answers["hulp"] == value
    assert outcome.echo == f"Your answer: {'Yes' if value == 'yes' else 'No'}"


@pytest.mark.parametrize("given", [Say("misschien"), Say("3"), Pick("maybe")], ids=repr)
def test_yesno_rejects_other_answers(engine: Engine, given) -> None:
    assert_rejected(engine, at(engine, TO_STEUN), given, "Tik op ‘Ja’ of ‘Nee’.")


def test_yesno_widget_has_yes_and_no(engine: Engine) -> None:
    question = walk(engine, "oefening", TO_STEUN).last.replies[-1]
    assert question.widget is not None
    assert [(o.id, o.label) for o in question.widget.options] == [("yes", "Ja"), ("no", "Nee")]


# -- branching and placeholders --------------------------------------------------


@pytest.mark.parametrize(
    ("rol", "themas", "score", "then"),
    [
        ("wijkagent", ["school"], "3", "steun"),  # low score from a wijkagent
        ("wijkagent", ["school"], "4", "verhaal"),
        ("jongerenwerker", ["school"], "0", "verhaal"),  # low, but not a wijkagent
        ("jongerenwerker", ["straat", "online"], "9", "steun"),  # online always asks
    ],
)
def test_branches_follow_earlier_answers(
    engine: Engine, rol: str, themas: list[str], score: str, then: str
) -> None:
    toggles = [Toggle(t) for t in themas]
    run = at(engine, [Continue(), Pick(rol), *toggles, Confirm(), score])
    assert run.state == then


def test_placeholders_show_answers_as_the_person_read_them(engine: Engine) -> None:
    question = walk(engine, "oefening", TO_GEVOEL).last
    assert text(question) == "Hoe sterk sta je erin, als Wijkagent?"  # the label, not the id
    end = walk(engine, "oefening", [*TO_THEMA, "1,4", "7", "nee", "Het liep goed."]).last
    assert end.status == "finished"
    assert text(end) == "Dank je, Sam. Je koos Op school, Online en gaf een 7."
    english = walk(engine, "oefening", [*TO_THEMA, "1,4", "7", "no", "It went well."], EN).last
    assert text(english) == "Thank you, Sam. You chose At school, Online and gave a 7."


def test_an_end_state_has_no_widget_and_finishes_the_run(engine: Engine) -> None:
    end = walk(engine, "oefening", [Continue(), Pick("anders")]).last
    assert end.status == "finished"
    assert end.run.status == "finished"
    assert texts(end) == ["Deze oefening is voor jongerenwerkers en wijkagenten."]
    assert all(r.widget is None and r.progress is None for r in end.replies)


# -- progress --------------------------------------------------------------------


def progress_of(transcript) -> list[tuple[int, int]]:
    shown = []
    for outcome in transcript.outcomes:
        progress = outcome.replies[-1].progress
        if progress is not None:
            shown.append((progress.step, progress.total))
    return shown


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            [*TO_STEUN, "ja", "Het liep goed."],
            [(1, 6), (2, 6), (3, 6), (3, 6), (4, 6), (5, 6), (6, 6)],  # a toggle stays at 3
        ),
        ([*TO_VERHAAL, "Het liep goed."], [(1, 6), (2, 6), (3, 6), (3, 6), (4, 6), (5, 5)]),
        ([Continue(), Pick("anders")], [(1, 6), (2, 6)]),
    ],
)
def test_progress_shows_step_n_of_m(engine: Engine, inputs: list, expected: list) -> None:
    transcript = walk(engine, "oefening", inputs)
    assert progress_of(transcript) == expected
    labels = [o.replies[-1].progress.label for o in transcript.outcomes if o.replies[-1].progress]
    assert labels[0] == "stap 1 van 6"


def test_a_rejected_input_keeps_the_progress(engine: Engine) -> None:
    run = at(engine, TO_GEVOEL)
    outcome = engine.handle(run, Say("elf"), NL)
    assert outcome.replies[-1].progress is not None
    assert outcome.replies[-1].progress.label == "stap 4 van 6"


# -- back ------------------------------------------------------------------------


def test_back_at_the_first_step_is_refused_kindly(engine: Engine) -> None:
    run = engine.start("oefening", NL).run
    assert_rejected(engine, run, Nav("back"), "Dit is de eerste vraag")


def test_back_returns_to_the_previous_question(engine: Engine) -> None:
    run = at(engine, TO_THEMA)
    outcome = engine.handle(run, Nav("back"), NL)
    assert outcome.status == "back"
    assert outcome.run.state == "rol"
    assert outcome.run.history == ("welkom",)
    assert outcome.run.step == run.step + 1
    assert text(outcome) == "Wat is je rol?"
    assert outcome.run.answers == {"rol": "wijkagent"}  # kept until answered again
    assert outcome.forget == ()
    again = engine.handle(outcome.run, Pick("jongerenwerker"), NL)
    assert again.run.answers == {"rol": "jongerenwerker"}
    assert again.run.history == ("welkom", "rol")


def test_back_twice_forgets_the_answers_left_behind(engine: Engine) -> None:
    run = at(engine, [*TO_THEMA, Nav("back")])
    outcome = engine.handle(run, Nav("back"), NL)
    assert outcome.run.state == "welkom"
    assert outcome.run.history == ()
    assert outcome.forget == ("rol",)
    assert outcome.run.answers == {}
    assert [o.id for o in outcome.replies[-1].widget.nav] == ["pause", "stop"]


def test_back_to_a_multi_question_ticks_the_earlier_choice(engine: Engine) -> None:
    run = at(engine, [*TO_THEMA, "2,4"])
    outcome = engine.handle(run, Nav("back"), NL)
    assert outcome.run.state == "thema"
    assert outcome.run.pending == ("straat", "online")
    widget = outcome.replies[-1].widget
    assert widget is not None
    assert [o.id for o in widget.options if o.selected] == ["straat", "online"]
    assert engine.handle(outcome.run, Confirm(), NL).run.answers["themas"] == ["straat", "online"]


def test_back_after_a_branch_goes_back_along_the_way_taken(engine: Engine) -> None:
    run = at(engine, [*TO_STEUN, "ja"])
    assert run.state == "verhaal"
    back = engine.handle(run, Nav("back"), NL)
    assert back.run.state == "steun"
    back = engine.handle(back.run, Nav("back"), NL)
    assert back.run.state == "gevoel"
    assert back.forget == ("hulp",)


# -- pause, resume, stop ---------------------------------------------------------


def test_pause_and_resume(engine: Engine) -> None:
    run = at(engine, TO_GEVOEL)
    paused = engine.handle(run, Nav("pause"), NL)
    assert paused.status == "paused"
    assert paused.run.status == "paused"
    assert paused.run.state == "gevoel"
    assert paused.run.answers == run.answers
    assert texts(paused) == [
        "Gepauzeerd. Je antwoorden zijn bewaard; je gaat later verder waar je was."
    ]
    resumed = engine.resume(paused.run, NL)
    assert resumed.status == "resumed"
    assert resumed.run.status == "active"
    assert resumed.run.state == "gevoel"
    assert text(resumed) == "Hoe sterk sta je erin, als Wijkagent?"
    assert resumed.replies[-1].widget is not None


def test_an_answer_to_a_paused_run_carries_on(engine: Engine) -> None:
    paused = engine.handle(at(engine, TO_GEVOEL), Nav("pause"), NL).run
    outcome = engine.handle(paused, Say("8"), NL)
    assert outcome.status == "advanced"
    assert outcome.run.status == "active"
    assert outcome.run.state == "verhaal"


def test_a_wrong_answer_to_a_paused_run_changes_nothing(engine: Engine) -> None:
    paused = engine.handle(at(engine, TO_GEVOEL), Nav("pause"), NL).run
    assert_rejected(engine, paused, Say("elf"), "van 0 tot en met 10")


def test_resume_of_a_finished_run_keeps_it_finished(engine: Engine) -> None:
    finished = walk(engine, "oefening", [Continue(), Pick("anders")]).run
    outcome = engine.resume(finished, NL)
    assert outcome.run.status == "finished"
    assert outcome.run.state == "elders"


def test_stop_ends_the_run_and_later_input_is_stale(engine: Engine) -> None:
    run = at(engine, TO_GEVOEL)
    stopped = engine.handle(run, Nav("stop"), NL)
    assert stopped.status == "stopped"
    assert stopped.run.status == "stopped"
    assert stopped.run.answers == run.answers
    assert texts(stopped) == ["Je bent met deze oefening gestopt. Wat je al antwoordde is bewaard."]
    for given in (Say("7"), Nav("back"), Nav("stop"), Media("sticker")):
        later = engine.handle(stopped.run, given, NL)
        assert later.status == "stale"
        assert later.run is stopped.run


def test_input_after_the_end_is_stale(engine: Engine) -> None:
    finished = walk(engine, "oefening", [Continue(), Pick("anders")]).run
    outcome = engine.handle(finished, Continue(), NL)
    assert outcome.status == "stale"
    assert outcome.run is finished


# -- stale buttons and media -----------------------------------------------------


def test_a_button_from_an_earlier_step_is_stale(engine: Engine) -> None:
    before = at(engine, TO_ROL)
    after = engine.handle(before, Pick("wijkagent"), NL, step=before.step).run
    outcome = engine.handle(after, Pick("jongerenwerker"), NL, step=before.step)
    assert outcome.status == "stale"
    assert outcome.run is after
    assert not outcome.changed
    assert texts(outcome) == [
        "Die knop hoort bij een eerdere vraag. Gebruik de knoppen onder de laatste vraag."
    ]
    assert engine.handle(after, Toggle("school"), NL, step=after.step).status == "toggled"


def test_a_toggle_makes_the_older_keyboard_stale(engine: Engine) -> None:
    run = at(engine, TO_THEMA)
    toggled = engine.handle(run, Toggle("school"), NL, step=run.step)
    assert engine.handle(toggled.run, Confirm(), NL, step=run.step).status == "stale"
    assert engine.handle(toggled.run, Confirm(), NL, step=toggled.run.step).status == "advanced"


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location"])
@pytest.mark.parametrize("inputs", [[], TO_ROL, TO_THEMA, TO_GEVOEL, TO_STEUN, TO_VERHAAL])
def test_media_is_rejected_without_any_change(engine: Engine, inputs: list, kind: str) -> None:
    assert_rejected(engine, at(engine, inputs), Media(kind), "alleen met tekst of de knoppen")


# -- versions --------------------------------------------------------------------


def load_version(tmp_path: Path, fixture_content: Path, edit) -> Engine:
    """An engine on a changed copy of the fixture dialogue."""
    source = (FIXTURES / "dialogues" / "oefening.yaml").read_text(encoding="utf-8")
    changed = edit(source)
    assert changed != source
    folder = tmp_path / "dialogues"
    folder.mkdir()
    (folder / "oefening.yaml").write_text(changed, encoding="utf-8")
    return Engine(load_valid_catalog([folder], fixture_content, list(LOCALES)))


def rename_thema(source: str) -> str:
    return source.replace("  thema:\n", "  onderwerp:\n").replace(": thema,", ": onderwerp,")


def test_a_run_continues_on_a_new_version_that_still_has_its_state(
    engine: Engine, tmp_path: Path, fixture_content: Path
) -> None:
    newer = load_version(tmp_path, fixture_content, lambda s: s.replace("minutes: 3", "minutes: 4"))
    run = at(engine, TO_GEVOEL)
    assert newer.dialogue("oefening").version != run.version
    outcome = newer.handle(run, Say("8"), NL)
    assert outcome.status == "advanced"
    assert outcome.run.state == "verhaal"
    assert outcome.run.version == newer.dialogue("oefening").version
    assert outcome.run.answers == {"rol": "wijkagent", "themas": ["school"], "gevoel": 8}
    assert outcome.run.history == ("welkom", "rol", "thema", "gevoel")


def test_a_run_keeps_its_ticks_on_a_new_version(
    engine: Engine, tmp_path: Path, fixture_content: Path
) -> None:
    newer = load_version(tmp_path, fixture_content, lambda s: s.replace("minutes: 3", "minutes: 4"))
    run = at(engine, [*TO_THEMA, Toggle("thuis")])
    outcome = newer.handle(run, Toggle("straat"), NL)
    assert outcome.run.pending == ("straat", "thuis")


def test_a_run_whose_state_vanished_is_relocated(
    engine: Engine, tmp_path: Path, fixture_content: Path
) -> None:
    newer = load_version(tmp_path, fixture_content, rename_thema)
    run = at(engine, [*TO_THEMA, Toggle("school")])
    assert run.state == "thema"
    outcome = newer.handle(run, Confirm(), NL)
    assert outcome.status == "relocated"
    assert outcome.changed
    notice = outcome.replies[0]
    assert notice.kind == "notice"
    assert notice.text.startswith("Deze oefening is intussen aangepast.")
    assert text(outcome).endswith("Wat is je rol?")  # the question before the vanished one
    assert outcome.run.state == "rol"
    assert outcome.run.history == ("welkom",)
    assert outcome.run.version == newer.dialogue("oefening").version
    assert outcome.run.answers == {"rol": "wijkagent"}  # answers are kept
    assert outcome.run.pending == ()
    assert outcome.run.status == "active"
    assert outcome.run.step > run.step
    carry_on = newer.handle(outcome.run, Pick("wijkagent"), NL)
    assert carry_on.run.state == "onderwerp"


def test_resume_relocates_too(engine: Engine, tmp_path: Path, fixture_content: Path) -> None:
    newer = load_version(tmp_path, fixture_content, rename_thema)
    paused = engine.handle(at(engine, TO_THEMA), Nav("pause"), NL).run
    outcome = newer.resume(paused, EN)
    assert outcome.status == "relocated"
    assert outcome.replies[0].text.startswith("This exercise has been changed in the meantime.")
    assert outcome.run.state == "rol"
    assert outcome.run.status == "active"


def test_a_vanished_state_in_the_history_is_dropped(
    engine: Engine, tmp_path: Path, fixture_content: Path
) -> None:
    newer = load_version(tmp_path, fixture_content, rename_thema)
    run = at(engine, TO_GEVOEL)
    outcome = newer.handle(run, Nav("back"), NL)
    assert outcome.status == "back"
    assert outcome.run.state == "rol"  # thema is gone, so back leads to the question before


def test_a_run_on_the_current_version_is_never_relocated(engine: Engine) -> None:
    run = replace(at(engine, TO_GEVOEL), status="paused")
    assert engine.resume(run, NL).status == "resumed"


def test_outcome_changed_tells_what_to_save(engine: Engine) -> None:
    run = at(engine, TO_ROL)
    assert engine.handle(run, Pick("wijkagent"), NL).changed
    assert engine.handle(run, Nav("pause"), NL).changed
    assert not engine.handle(run, Say("zzz"), NL).changed
    assert not engine.handle(run, Pick("wijkagent"), NL, step=run.step - 1).changed


def test_locales_in_the_fixture_catalog(engine: Engine) -> None:
    assert set(engine.catalog.locales) == set(LOCALES)


def test_typing_the_confirm_label_after_toggling_confirms():
    from bot.engine import Toggle
    from tests.engine.helpers import shipped_engine, walk

    transcript = walk(
        shipped_engine(),
        "drijfveren",
        ["1", "Een antwoord van genoeg tekens", Toggle("zorg"), "Klaar"],
    )
    assert transcript.last.status == "advanced"
    assert transcript.last.answer.value == ["zorg"]
