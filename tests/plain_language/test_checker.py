"""The pure checker: glossary terms (inflected, any case), long sentences, readability formulas."""

from __future__ import annotations

import pytest

from app.plain_language.checker import check_module_text, check_page_text
from app.plain_language.glossary_file import shipped_glossary
from app.plain_language.prose import prose_units, split_sentences
from app.plain_language.readability import count_syllables, readability
from app.plain_language.terms import GlossaryTerm

DE = [
    GlossaryTerm("Ortsabwesenheit", "Ferien / Abwesenheit"),
    GlossaryTerm("Veranlagung", "Berechnung Ihrer Steuer"),
    GlossaryTerm("Veranlagungsverfügung", "Brief mit der Berechnung Ihrer Steuer"),
    GlossaryTerm("Fälligkeit", "Zahltag"),
    GlossaryTerm("steuerbares Einkommen", "Einkommen, auf das Sie Steuern zahlen"),
]
FR = [
    GlossaryTerm("assujetti", "personne qui doit payer l'impôt"),
    GlossaryTerm("avis de taxation", "lettre qui dit combien vous payez"),
    GlossaryTerm("taxation", "calcul de votre impôt"),
    GlossaryTerm("s'acquitter", "payer"),
]


def found(report):
    return [(t.line, t.term, t.found) for t in report.terms]


def test_a_term_is_found_in_any_case_and_inflected_with_its_suggestion():
    text = "Melden Sie Ihre ORTSABWESENHEIT.\nZwei Ortsabwesenheiten sind zu viel."
    report = check_page_text(text, "de", DE)
    assert found(report) == [
        (1, "Ortsabwesenheit", "ORTSABWESENHEIT"),
        (2, "Ortsabwesenheit", "Ortsabwesenheiten"),
    ]
    assert report.terms[0].suggestion == "Ferien / Abwesenheit"


def test_german_nouns_are_found_inside_compounds_but_not_after_a_short_prefix():
    text = "Die Steuerveranlagung kommt. Eine Gefälligkeit ist keine Fälligkeit."
    assert found(check_page_text(text, "de", DE)) == [
        (1, "Veranlagung", "Steuerveranlagung"),
        (1, "Fälligkeit", "Fälligkeit"),
    ]


def test_the_longest_term_wins_and_a_span_is_reported_once():
    report = check_page_text("Die Veranlagungsverfügung kommt im Mai.", "de", DE)
    assert found(report) == [(1, "Veranlagungsverfügung", "Veranlagungsverfügung")]
    report = check_page_text("Vous recevez l'avis de taxation.", "fr", FR)
    assert found(report) == [(1, "avis de taxation", "avis de taxation")]


def test_german_adjectives_change_their_ending_and_french_words_take_plurals():
    report = check_page_text("Das steuerbare Einkommen sinkt.", "de", DE)
    assert found(report) == [(1, "steuerbares Einkommen", "steuerbare Einkommen")]
    report = check_page_text("Les assujettis et l'assujettie s’acquittent.", "fr", FR)
    assert [t.found for t in report.terms] == ["assujettis", "assujettie"]


def test_a_term_is_not_found_inside_another_word_or_in_code():
    text = "Les taxations. Le mot surtaxation.\n\n```\ntaxation\n```\n\n`taxation` ok"
    report = check_page_text(text, "fr", FR)
    # Inline code keeps its text (a screen label is still jargon to the citizen).
    assert found(report) == [(1, "taxation", "taxations"), (7, "taxation", "taxation")]


def test_multi_word_terms_match_across_a_line_break_and_tables_and_steps_are_prose():
    text = (
        "Lisez l'avis de\ntaxation.\n\n| Mot | Dire |\n|---|---|\n| assujetti | qui paie |\n\n"
        "```steps\nVérifiez l'avis de taxation\n```\n"
    )
    assert found(check_page_text(text, "fr", FR)) == [
        (1, "avis de taxation", "avis de taxation"),
        (6, "assujetti", "assujetti"),
        (9, "avis de taxation", "avis de taxation"),
    ]


def test_accepted_terms_are_not_reported():
    report = check_page_text(
        "Die Ortsabwesenheit und die Veranlagung.", "de", DE, accepted=["ortsabwesenheit"]
    )
    assert [t.term for t in report.terms] == ["Veranlagung"]


def test_sentences_longer_than_the_limit_are_reported_with_their_line():
    long = " ".join(["Wort"] * 12) + ", z. B. am 31. März, " + " ".join(["Wort"] * 10) + "."
    text = f"Kurz und klar.\n\n- {long}\n- Auch kurz."
    report = check_page_text(text, "de", [], max_words=25, first_line=10)
    assert [(s.line, s.words) for s in report.long_sentences] == [(12, 27)]
    assert report.long_sentences[0].start == "Wort Wort Wort Wort Wort Wort"
    assert check_page_text(text, "de", [], max_words=27).long_sentences == []


def test_abbreviations_and_dates_do_not_end_a_sentence():
    sentences = [s for _, s in split_sentences("Bringen Sie z. B. den Ausweis mit. Bis 31. März!")]
    assert sentences == ["Bringen Sie z. B. den Ausweis mit.", "Bis 31. März!"]


def test_markup_is_not_text():
    units = prose_units("## Titel\n\n> [!SAY]\n> «Hier [klicken](https://x.ch).»\n\n![Bild](a.png)")
    assert [u.text for u in units] == ["Titel", "«Hier klicken.»"]


@pytest.mark.parametrize(
    ("word", "language", "syllables"),
    [
        ("Abend", "de", 2),  # typesetting never splits off the "A": the vowel groups do
        ("Steuererklärung", "de", 5),  # Steu-er-er-klä-rung: hyphenation splits the "eue"
        ("einen", "de", 2),
        ("personne", "fr", 2),  # mute final e
        ("formulaire", "fr", 3),
        ("lettera", "it", 3),
        ("computer", "en", 3),
    ],
)
def test_syllables(word, language, syllables):
    assert count_syllables(word, language) == syllables


def test_amstad_formula_matches_a_hand_computation():
    # Die(1) Ge-mein-de(3) schickt(1) Ih-nen(2) ei-nen(2) Brief(1): 6 words, 10 syllables
    # Sie(1) fül-len(2) das(1) For-mu-lar(3) am(1) Com-pu-ter(3) aus(1): 7 words, 12 syllables
    text = "Die Gemeinde schickt Ihnen einen Brief. Sie füllen das Formular am Computer aus."
    figure = readability([s for _, s in split_sentences(text)], "de")
    assert (figure.sentences, figure.words, figure.syllables) == (2, 13, 22)
    by_hand = 180 - 13 / 2 - 58.5 * 22 / 13  # Amstad: 180 - ASL - 58.5 * ASW
    assert by_hand == pytest.approx(74.5)
    assert figure.score == pytest.approx(by_hand, abs=0.05)
    assert figure.formula == "Flesch reading ease (Amstad)"
    assert figure.band == "fairly easy"


def test_kandel_moles_formula_matches_a_hand_computation():
    # Vous(1) re-ce-vez(3) une(1) lettre(1) de(1) la(1) com-mune(2): 7 words, 10 syllables
    # Vous(1) rem-plis-sez(3) le(1) for-mu-laire(3) en(1) ligne(1): 6 words, 10 syllables
    text = "Vous recevez une lettre de la commune. Vous remplissez le formulaire en ligne."
    figure = readability([s for _, s in split_sentences(text)], "fr")
    assert (figure.sentences, figure.words, figure.syllables) == (2, 13, 20)
    by_hand = 207 - 1.015 * 13 / 2 - 73.6 * 20 / 13  # Kandel & Moles
    assert figure.score == pytest.approx(by_hand, abs=0.05)
    assert figure.score == pytest.approx(87.2)
    assert figure.formula == "Flesch reading ease (Kandel-Moles)"


def test_a_page_without_words_has_no_figure_and_a_hard_page_is_flagged():
    assert readability([], "it") is None
    hard = (
        "Die Veranlagungsverfügungsangelegenheitsbearbeitungsstelle berücksichtigt "
        "Ergänzungsleistungsanspruchsberechtigungsabklärungen."
    )
    figure = check_page_text(hard, "de", []).readability
    assert figure.is_hard and figure.band == "very difficult"


def test_a_module_is_checked_page_by_page_with_lines_of_the_whole_text():
    body = "Einleitung ohne Fachwort.\n\n## Zweite Seite\n\nIhre Ortsabwesenheit melden.\n"
    reports = check_module_text(body, "de", DE, title="Modul")
    assert [(r.number, r.title, r.line) for r in reports] == [
        (1, "Modul", 1),
        (2, "Zweite Seite", 5),
    ]
    assert found(reports[1]) == [(5, "Ortsabwesenheit", "Ortsabwesenheit")]
    assert check_module_text(body, "xx", DE) == []


def test_each_shipped_glossary_has_at_least_40_entries_that_find_themselves():
    for language in ("de", "fr", "it", "en"):
        rows = shipped_glossary(language)
        assert len(rows) >= 40, language
        glossary = [GlossaryTerm(r.term, r.suggestion) for r in rows]
        for row in rows:
            terms = check_page_text(f"{row.term}.", language, glossary).terms
            assert [t.term for t in terms] == [row.term], (language, row.term)


def test_every_term_the_shipped_library_keeps_on_purpose_is_still_in_its_module():
    """glossaries/accepted.csv names real modules and terms the check really finds there."""
    from pathlib import Path

    from app.content.module_folder import load_module_folder
    from app.plain_language.glossary_file import shipped_acceptances

    courses = Path(__file__).resolve().parents[2] / "courses"
    for row in shipped_acceptances():
        variant = load_module_folder(courses / row.module).variants[row.language]
        glossary = [GlossaryTerm(r.term, r.suggestion) for r in shipped_glossary(row.language)]
        reports = check_module_text(variant.body_markdown, row.language, glossary)
        assert row.term in {t.term for r in reports for t in r.terms}, row


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        ("Veranlagung Gesuch steuerbares Einkommen " * 13000)[:500_000],  # once took 141 s
        "Steuer" * 80_000,  # one 480,000-letter "word" (once 9 s)
        "a\n" * 250_000,
        "z. B. " * 80_000,
        "[" * 500_000,  # unclosed link, image, footnote and tag openers (once quadratic)
        "<!--" * 125_000,
        "<a" * 250_000,
    ],
    ids=[
        "many-terms",
        "one-huge-word",
        "many-lines",
        "abbreviations",
        "brackets",
        "comments",
        "tags",
    ],
)
def test_the_largest_text_the_editor_accepts_is_checked_in_linear_time(text):
    """The preview checks up to 500,000 characters at every pause in typing."""
    import time

    glossary = [GlossaryTerm(r.term, r.suggestion) for r in shipped_glossary("de")]
    check_page_text("Abend.", "de", glossary)  # load the hyphenation dictionary first
    started = time.process_time()
    check_module_text(text, "de", glossary)
    # About 0.3-1.2 s measured on the 2-core machine; a quadratic step takes minutes.
    assert time.process_time() - started < 6
