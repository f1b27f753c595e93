"""Names that break a format's limits are changed deterministically and never collide."""

from __future__ import annotations

from app.exports.names import SHEET, SPSS, STATA, assign_names, valid_name


def test_names_within_the_limits_are_kept() -> None:
    names = ["record_id", "anakinra_ae___99", "a" * 32]
    chosen, renames = assign_names("patients", names, STATA)
    assert chosen == {n: n for n in names} and renames == []


def test_long_names_are_shortened_with_a_stable_digest_and_listed() -> None:
    long_a = "a_very_long_variable_name_for_stata___1"
    long_b = "a_very_long_variable_name_for_stata___2"
    chosen, renames = assign_names("patients", [long_a, long_b], STATA)
    assert all(len(name) <= 32 for name in chosen.values())
    assert chosen[long_a] != chosen[long_b]
    assert chosen == assign_names("patients", [long_a, long_b], STATA)[0]  # the same every time
    assert {(r.name, r.renamed) for r in renames} == set(chosen.items())


def test_invalid_characters_reserved_words_and_clashes() -> None:
    chosen, _ = assign_names("t", ["dose-mg", "dose_mg", "in", "with", "_n"], STATA)
    assert chosen["dose-mg"] == "dose_mg" and chosen["dose_mg"] == "dose_mg_2"
    assert (chosen["in"], chosen["with"], chosen["_n"]) == ("in_", "with_", "_n_")
    spss, _ = assign_names("t", ["Sex", "sex", "by", "x."], SPSS)
    assert spss == {"Sex": "Sex", "sex": "sex_2", "by": "by_", "x.": "x._"}  # SPSS ignores case
    assert len(valid_name("é" * 40, SPSS).encode()) <= 64


def test_sheet_names_fit_excel() -> None:
    chosen, renames = assign_names("study.xlsx", ["patients", "a/b", "x" * 40, "codebook"], SHEET)
    assert chosen["a/b"] == "a_b" and len(chosen["x" * 40]) == 31 and chosen["patients"] == "patients"
    assert len(renames) == 2
