"""REDCap data dictionaries: import, check, export, and the logic translator both ways."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.forms.compile import load_study
from app.forms.engine import validate
from app.forms.expr.parser import parse
from app.forms.expr.types import DATE, NUM, SET, TEXT
from app.forms.model import CompiledStudy
from app.forms.redcap.columns import COLUMNS, column_key
from app.forms.redcap.errors import DictionaryError, OutputFolderError
from app.forms.redcap.exporter import export_dictionary
from app.forms.redcap.flat import from_row
from app.forms.redcap.importer import import_dictionary
from app.forms.redcap.logic import Untranslatable, Variable, translate
from app.forms.redcap.logic_export import to_redcap
from app.forms.schema import Range

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "redcap"
FIXTURE_NAMES = sorted(p.parent.name for p in FIXTURES.glob("*/dictionary.csv"))
needs_fixtures = pytest.mark.skipif(
    not FIXTURE_NAMES,
    reason=f"REDCap fixture dictionaries not found in {FIXTURES} (a sibling of the repository)",
)
HEADER = [header for _, header in COLUMNS]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:] if any(cell.strip() for cell in row)]


def _norm(text: str) -> str:
    return " ".join(text.split())


def _choices(text: str) -> list[tuple[str, str]]:
    pairs = [item.partition(",") for item in text.split("|") if item.strip()]
    return [(_norm(code), _norm(label)) for code, _, label in pairs]


def _dictionary(
    tmp_path: Path, rows: list[list[str]], header: list[str] | None = None, bom: bool = False
) -> Path:
    path = tmp_path / "source" / "dictionary.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header or HEADER)
        writer.writerows(row + [""] * (18 - len(row)) for row in rows)
    return path


def _form_files(folder: Path) -> dict[str, object]:
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.yaml"))}


# Every fixture: import, check, export, compare with the original.


@needs_fixtures
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_imports_checks_and_exports_back(name: str, tmp_path: Path) -> None:
    original_path = FIXTURES / name / "dictionary.csv"
    report = import_dictionary(original_path, tmp_path / "study")
    assert report.ok, report.problems
    assert not [w for w in report.warnings if "not imported" in w], report.warnings
    study = load_study(tmp_path / "study")
    export_dictionary(study, tmp_path / "exported.csv", "en")

    original, exported = _read(original_path), _read(tmp_path / "exported.csv")
    assert [r["Variable / Field Name"] for r in exported] == [r["Variable / Field Name"] for r in original]
    for before, after in zip(original, exported, strict=True):
        where = before["Variable / Field Name"]
        for column in ("Form Name", "Field Type", "Text Validation Type OR Show Slider Number"):
            assert after[column] == before[column], (where, column)
        choices = "Choices, Calculations, OR Slider Labels"
        if before["Field Type"] in ("dropdown", "radio", "checkbox"):
            assert _choices(after[choices]) == _choices(before[choices]), where
        elif before["Field Type"] != "calc":
            assert _norm(after[choices]) == _norm(before[choices]), where
        if before is original[0]:
            continue
        for column in HEADER:
            if column not in (choices, "Branching Logic (Show field only if...)"):
                assert _norm(after[column]) == _norm(before[column]), (where, column)


@needs_fixtures
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_importing_the_export_gives_the_same_study(name: str, tmp_path: Path) -> None:
    """Logic is written differently on the way back, but means the same: a second import is identical."""
    import_dictionary(FIXTURES / name / "dictionary.csv", tmp_path / "first")
    (tmp_path / name).mkdir()
    export_dictionary(load_study(tmp_path / "first"), tmp_path / name / "dictionary.csv", "en")
    report = import_dictionary(tmp_path / name / "dictionary.csv", tmp_path / "second")
    assert report.ok, report.problems
    assert _form_files(tmp_path / "second") == _form_files(tmp_path / "first")


@needs_fixtures
def test_cli_imports_checks_and_exports(tmp_path: Path) -> None:
    def edc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "forms", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = tmp_path / "longitudinal"
    imported = edc("import-redcap", str(FIXTURES / "longitudinal" / "dictionary.csv"), "--out", str(out))
    assert imported.returncode == 0, imported.stderr
    assert "wrote 9 form(s), 94 field(s)" in imported.stdout
    assert "matrix group kept only as an annotation" in imported.stderr
    checked = edc("check", str(out))
    assert checked.returncode == 0, checked.stderr
    assert "study 'longitudinal'" in checked.stdout
    exported = edc("export-redcap", str(out), "--out", str(tmp_path / "back.csv"))
    assert exported.returncode == 0, exported.stderr
    assert len(_read(tmp_path / "back.csv")) == 95


@needs_fixtures
def test_the_import_keeps_what_the_language_can_hold(tmp_path: Path) -> None:
    report = import_dictionary(FIXTURES / "validation-types-1" / "dictionary.csv", tmp_path / "s")
    study = load_study(tmp_path / "s")
    assert study.spec.record_id_field == "record_id" and "record_id" not in study.forms["form_1"].fields
    assert study.spec.privacy.refuse_identifiers is False
    f = {name: cfield.spec for name, cfield in study.forms["form_1"].fields.items()}
    comma = f["v_number_2dp_comma_decimal"]
    assert (comma.type, comma.precision, comma.decimal_comma) == ("decimal", 2, True)
    assert (f["v_time_mm_ss"].type, f["v_time_mm_ss"].format) == ("time", "time_mm_ss")
    assert (f["v_datetime_seconds_dmy"].type, f["v_ssn"].format) == ("datetime", "ssn")
    assert (f["f_true_false"].type, f["f_true_false"].widget) == ("yesno", "truefalse")
    assert (f["f_sql"].type, f["f_sql"].unsupported_type) == ("unsupported", "sql")
    slider = f["f_slider"]
    assert slider.widget == "slider" and slider.range == Range(min=Decimal(-1), max=Decimal(101))
    assert f["f_calculated"].calc == "3 + 4"
    assert any("'sql' field has no equivalent" in w for w in report.warnings)


@needs_fixtures
def test_redcap_checkbox_and_decimal_comma_rows_validate(tmp_path: Path) -> None:
    for name, form in (("checkboxes-1", "form_2"), ("decimal-comma-and-dot", "demographics")):
        import_dictionary(FIXTURES / name / "dictionary.csv", tmp_path / name)
        study = load_study(tmp_path / name)
        with (FIXTURES / name / "data.csv").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        results = [validate(study, form, from_row(study, form, row)) for row in rows]
        assert all(r.ok for r in results), [i for r in results for i in r.errors]
        if name == "checkboxes-1":
            assert results[0].values["check_one"] == (1,) and results[0].values["check_two"] == ("a", "c")
            assert "check_one" not in results[3].values
        else:
            assert results[0].values["height_comma"] == results[0].values["height_dot"]


# Dictionaries written for the test: header variants, logic, requirements.


def test_bom_api_headers_and_blank_rows_are_read(tmp_path: Path) -> None:
    api = [
        "field_name",
        "form_name",
        "section_header",
        "field_type",
        "field_label",
        "select_choices_or_calculations",
        "field_note",
        "text_validation_type_or_show_slider_number",
        "text_validation_min",
        "text_validation_max",
        "identifier",
        "branching_logic",
        "required_field",
        "custom_alignment",
        "question_number",
        "matrix_group_name",
        "matrix_ranking",
        "field_annotation",
    ]
    assert [column_key(h) for h in api] == [key for key, _ in COLUMNS]
    assert [column_key(h) for h in HEADER] == [key for key, _ in COLUMNS]
    rows = [
        ["pid", "intake", "", "text", "ID"],
        [],
        ["", "", "", ""],
        ["age", "intake", "", "text", "Age", "", "", "integer", "18", "99", "", "", "y"],
    ]
    path = _dictionary(tmp_path, rows, header=api, bom=True)
    report = import_dictionary(path, tmp_path / "out", "My Study!")
    assert report.ok and report.fields == 1 and report.study_id == "my-study"
    age = load_study(tmp_path / "out").forms["intake"].fields["age"].spec
    assert age.required and age.soft_range is not None and age.soft_range.max == 99


def test_a_file_that_is_not_a_dictionary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="no column for"):
        import_dictionary(path, tmp_path / "out")


LOGIC_ROWS = [
    ["record_id", "screening", "", "text", "Record ID"],
    ["sex", "screening", "", "radio", "Sex", "1, Female | 2, Male"],
    ["arm", "screening", "", "dropdown", "Arm", "a, Arm A, high dose | b, Arm B"],
    [
        "dob",
        "screening",
        "",
        "text",
        "Date of birth",
        "",
        "",
        "date_ymd",
        "1900-01-01",
        "today",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "@FORCE-MINMAX",
    ],
    ["symptoms", "screening", "", "checkbox", "Symptoms", "1, Fever | 2, Cough | 99, Other"],
    ["other_symptom", "screening", "", "text", "Other", "", "", "", "", "", "", "[symptoms(99)] = '1'", "y"],
    ["age", "screening", "", "calc", "Age", "rounddown(datediff([dob], 'today', 'y'))"],
    [
        "pregnant",
        "screening",
        "",
        "yesno",
        "Pregnant?",
        "",
        "",
        "",
        "",
        "",
        "",
        "[sex] = '1' and [age] >= '12'",
    ],
    ["weight", "followup", "", "text", "Weight", "", "", "number_1dp", "30", "250"],
    ["bmi_flag", "followup", "", "calc", "Flag", "if([weight] > '100' and [screening_arm][sex] <> '', 1, 0)"],
    ["note", "followup", "", "notes", "Note", "", "", "", "", "", "", "[arm] = 'a' or [symptoms(2)] = '0'"],
    ["mood", "followup", "", "slider", "Mood", "Sad | | Happy", "", "number"],
    ["odd", "followup", "", "text", "Odd", "", "", "", "", "", "", "[weight][2] > 3"],
    ["photo", "followup", "", "file", "Photo", "", "", "", "", "", "", "", "y"],
]


def test_logic_is_translated_and_engine_semantics_hold(tmp_path: Path) -> None:
    report = import_dictionary(_dictionary(tmp_path, LOGIC_ROWS), tmp_path / "out")
    assert report.ok, report.problems
    study = load_study(tmp_path / "out")
    screening, followup = study.forms["screening"].fields, study.forms["followup"].fields
    assert screening["other_symptom"].spec.show_if == "99 in symptoms"
    assert screening["pregnant"].spec.show_if == "sex = 1 and age >= 12"
    assert screening["age"].spec.calc == 'rounddown(abs(datediff(dob, today(), "y")))'
    assert followup["bmi_flag"].spec.calc == "if(weight > 100 and present(screening.sex), 1, 0)"
    assert followup["note"].spec.show_if == 'screening.arm = "a" or 2 not in screening.symptoms'
    assert screening["dob"].spec.range is not None and screening["dob"].spec.range.max == "today"
    assert followup["weight"].spec.soft_range is not None and followup["weight"].spec.range is None
    assert [c.label["en"] for c in screening["arm"].spec.choices or []] == ["Arm A, high dose", "Arm B"]
    # A hidden required field is not required; a shown one is.
    assert validate(study, "screening", {"symptoms": "1"}, completing=True).ok
    shown = validate(study, "screening", {"symptoms": "1,99"}, completing=True)
    assert [(i.field, i.code) for i in shown.errors] == [("other_symptom", "required")]
    # Logic without an equivalent: the field stays, the logic goes, the warning quotes it.
    assert followup["odd"].spec.show_if is None
    assert any("[weight][2] > 3" in w and "odd" in w for w in report.warnings)
    assert any("event [screening_arm] dropped" in w for w in report.warnings)
    assert followup["photo"].spec.type == "unsupported" and not followup["photo"].spec.required


def test_logic_our_compiler_refuses_is_dropped_and_reported(tmp_path: Path) -> None:
    rows = [
        ["record_id", "f", "", "text", "ID"],
        ["early", "f", "", "text", "Early", "", "", "", "", "", "", "[late] = '1'"],
        ["late", "f", "", "yesno", "Late"],
        ["coded", "f", "", "text", "Coded", "", "", "", "", "", "", "[late] = '7'"],
    ]
    report = import_dictionary(_dictionary(tmp_path, rows), tmp_path / "out")
    assert report.ok, report.problems
    study = load_study(tmp_path / "out")
    assert study.forms["f"].fields["early"].spec.show_if is None
    assert "REDCap branching logic: [late] = '1'" in (study.forms["f"].fields["early"].spec.annotation or "")
    assert any("early" in w and "comes later" in w for w in report.warnings)
    assert any("coded" in w and "not a code" in w for w in report.warnings)


def test_dropped_logic_goes_back_to_redcap_unchanged(tmp_path: Path) -> None:
    import_dictionary(_dictionary(tmp_path, LOGIC_ROWS), tmp_path / "out")
    export_dictionary(load_study(tmp_path / "out"), tmp_path / "back.csv", "en")
    back = {r["Variable / Field Name"]: r for r in _read(tmp_path / "back.csv")}
    assert back["odd"]["Branching Logic (Show field only if...)"] == "[weight][2] > 3"
    assert back["dob"]["Field Annotation"] == "@FORCE-MINMAX"
    assert back["mood"]["Choices, Calculations, OR Slider Labels"] == "Sad | | Happy"
    assert back["mood"]["Text Validation Type OR Show Slider Number"] == "number"
    assert back["photo"]["Required Field?"] == "y"
    assert back["other_symptom"]["Branching Logic (Show field only if...)"] == "[symptoms(99)] = '1'"


def test_an_output_folder_with_other_definitions_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "unrelated.yaml").write_text("name: x\n", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="unrelated.yaml"):
        import_dictionary(_dictionary(tmp_path, LOGIC_ROWS), tmp_path / "out")


# The translator, REDCap to ours.

VARIABLES = {
    v.name: v
    for v in [
        Variable("sex", "demo", NUM, ("0", "1")),
        Variable("given_birth", "demo", NUM, ("1", "0")),
        Variable("weight", "demo", NUM),
        Variable("height", "demo", NUM),
        Variable("dob", "demo", DATE),
        Variable("visit", "visit", DATE),
        Variable("race", "demo", SET, ("1", "2", "6")),
        Variable("check_two", "demo", SET, ("a", "b")),
        Variable("arm", "demo", TEXT, ("a", "b")),
        Variable("comment", "demo", TEXT),
        Variable("photo", "demo", ""),
    ]
}

TRANSLATIONS = [
    # The fixtures' logic.
    ('[sex] = "0"', "sex = 0"),
    ('[sex] = "0" and [given_birth] = "1"', "sex = 0 and given_birth = 1"),
    ("round(([weight]*10000)/(([height])^(2)),1)", "round(weight * 10000 / height ^ 2, 1)"),
    ("rounddown(datediff([dob],'today','y'))", 'rounddown(abs(datediff(dob, today(), "y")))'),
    ("3+4", "3 + 4"),
    # Checkbox options.
    ("[race(2)] = '1'", "2 in race"),
    ("[race(2)] = 1", "2 in race"),
    ("[race(6)] = '0'", "6 not in race"),
    ("[race(6)] <> '1'", "6 not in race"),
    ("'1' = [check_two(A)]", '"a" in check_two'),
    ("[race(1)] + [race(2)] >= 1", "if(1 in race, 1, 0) + if(2 in race, 1, 0) >= 1"),
    # Literals take the type of what they are compared with.
    ("[weight] > '100'", "weight > 100"),
    ('[weight] >= "-2.5"', "weight >= -2.5"),
    ("[arm] = 'b'", 'arm = "b"'),
    ("[comment] = 12", "comment = 12"),
    ("[visit] > '2020-01-31'", 'visit.visit > "2020-01-31"'),
    # Blanks.
    ('[weight] <> ""', "present(weight)"),
    ("[comment] = ''", "blank(comment)"),
    ("'' != [dob]", "present(dob)"),
    ("isblankormissingcode([weight])", "blank(weight)"),
    # Operators, case and nesting.
    ("[sex] = '1' AND ([weight] > 50 OR [height] < '150')", "sex = 1 and (weight > 50 or height < 150)"),
    ("([sex] = '1' or [sex] = '0') and [weight] != 3", "(sex = 1 or sex = 0) and weight != 3"),
    ("(([weight] - ([height] - 100)))", "weight - (height - 100)"),
    ("[weight] / ([height] * [height])", "weight / (height * height)"),
    ("-[weight]^2 + 2^-1", "-weight ^ 2 + 2 ^ -1"),
    ("[sex] = '1' && [weight] > 1 || [height] > 1", "sex = 1 and weight > 1 or height > 1"),
    # Functions.
    ('datediff([dob], [visit], "d", true)', 'datediff(dob, visit.visit, "d")'),
    ("datediff([dob], 'today', 'M', 'ymd', false) > 6", 'abs(datediff(dob, today(), "M")) > 6'),
    ("if([weight] > '100', '1', '')", "if(weight > 100, 1, blank)"),
    ("sum([weight], '2', [height])", "sum(weight, 2, height)"),
    (
        "mean(min([weight], 3), max([height], [weight]), abs(-1))",
        "mean(min(weight, 3), max(height, weight), abs(-1))",
    ),
    ("round([weight] / 3)", "round(weight / 3)"),
    ("[baseline_arm_1][weight] > 1", "weight > 1"),
]


@pytest.mark.parametrize(("redcap", "ours"), TRANSLATIONS)
def test_redcap_logic_translates(redcap: str, ours: str) -> None:
    translated = translate(redcap, VARIABLES, "demo").text
    assert translated == ours
    assert parse(translated) == parse(ours)


@pytest.mark.parametrize(
    "redcap",
    [
        "[record-name] = '1'",
        "[weight:label] = 'x'",
        "[weight][2] = 1",
        "[race] = '1'",
        "[race(9)] = '1'",
        "[sex(1)] = '1'",
        "[nowhere] = 1",
        "[photo] = ''",
        "year([dob]) > 2000",
        "[weight] > 'heavy'",
        "[weight] > ''",
        "datediff([dob], '2020-01-01', 'y')",
        "[weight] = ",
        "if([weight] > 1, 1)",
        "[race(1)] = ''",
        "[weight] % 2 = 0",
        "true",
    ],
)
def test_logic_without_an_equivalent_is_refused(redcap: str) -> None:
    with pytest.raises(Untranslatable):
        translate(redcap, VARIABLES, "demo")


def test_translation_warns_about_events_and_now() -> None:
    result = translate("[enrol_arm_1][dob] <> '' and datediff([dob], 'now', 'h') > 1", VARIABLES, "demo")
    assert result.text == 'present(dob) and abs(datediff(dob, today(), "h")) > 1'
    assert len(result.warnings) == 2


# The way back, ours to REDCap.

STUDY: dict[str, object] = {
    "id": "back",
    "title": "Back",
    "version": "1",
    "forms": ["base", "visits"],
    "settings": {"cutoff": 4},
}
BASE_FORM: dict[str, object] = {
    "name": "base",
    "label": "Base",
    "fields": [
        {
            "name": "sex",
            "type": "choice",
            "label": "Sex",
            "choices": [{"code": 1, "label": "F"}, {"code": 2, "label": "M"}],
        },
        {
            "name": "symptoms",
            "type": "multichoice",
            "label": "S",
            "choices": [{"code": 1, "label": "Fever"}, {"code": "x", "label": "Other"}],
        },
        {
            "name": "weight",
            "type": "decimal",
            "label": "W",
            "precision": 1,
            "decimal_comma": True,
            "range": {"min": 1, "max": 300},
        },
        {"name": "dob", "type": "date", "label": "DOB", "soft_range": {"max": "today"}},
        {"name": "day", "type": "studyday", "label": "Day"},
        {
            "name": "note",
            "type": "notes",
            "label": "Note",
            "max_length": 20,
            "show_if": "sex in (1, 2) and not (1 in symptoms) and weight > settings.cutoff",
        },
        {"name": "heavy", "type": "calc", "label": "Heavy", "calc": "weight > 100"},
        {"name": "n_symptoms", "type": "calc", "label": "N", "calc": "count(symptoms)"},
        {
            "name": "age",
            "type": "calc",
            "label": "Age",
            "result": "integer",
            "calc": 'datediff(dob, today(), "y")',
        },
        {"name": "worst", "type": "calc", "label": "Worst", "calc": "max(visits.grade)"},
    ],
}
VISITS_FORM: dict[str, object] = {
    "name": "visits",
    "label": "Visits",
    "repeating": True,
    "key": ["grade"],
    "fields": [
        {"name": "grade", "type": "integer", "label": "Grade", "required": True},
    ],
    "rules": [{"name": "positive", "check": "grade >= 0", "message": "no"}],
}


@pytest.fixture
def back_study(tmp_path: Path) -> CompiledStudy:
    for name, document in (("study", STUDY), ("base", BASE_FORM), ("visits", VISITS_FORM)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_study(tmp_path)


@pytest.mark.parametrize(
    ("ours", "redcap"),
    [
        ("sex in (1, 2)", "([sex] = '1' or [sex] = '2')"),
        ("sex not in (1, 2)", "([sex] <> '1' and [sex] <> '2')"),
        ("1 in symptoms", "[symptoms(1)] = '1'"),
        ('"x" not in symptoms', "[symptoms(x)] = '0'"),
        ("not (sex = 1 or weight >= 2)", "[sex] <> '1' and [weight] < 2"),
        (
            "blank(weight) or present(symptoms)",
            "[weight] = '' or ([symptoms(1)] = '1' or [symptoms(x)] = '1')",
        ),
        ("weight * (2 + day) ^ 2 > settings.cutoff", "[weight] * (2 + [day]) ^ 2 > 4"),
        ('abs(datediff(dob, today(), "y")) > 18', "datediff([dob], 'today', 'y') > 18"),
        ('datediff(dob, today(), "w")', "(datediff([dob], 'today', 'd', true) / 7)"),
        ("coalesce(weight, day, 0)", "if([weight] <> '', [weight], if([day] <> '', [day], 0))"),
    ],
)
def test_our_logic_translates_to_redcap(back_study: CompiledStudy, ours: str, redcap: str) -> None:
    assert to_redcap(parse(ours), back_study, "base") == redcap


def test_export_warns_about_what_redcap_cannot_hold(back_study: CompiledStudy, tmp_path: Path) -> None:
    warnings = export_dictionary(back_study, tmp_path / "d.csv", "en")
    rows = {r["Variable / Field Name"]: r for r in _read(tmp_path / "d.csv")}
    assert list(rows)[0] == "record_id" and rows["record_id"]["Form Name"] == "base"
    assert rows["note"]["Branching Logic (Show field only if...)"] == (
        "([sex] = '1' or [sex] = '2') and [symptoms(1)] = '0' and [weight] > 4"
    )
    assert rows["note"]["Field Annotation"] == "@CHARLIMIT=20"
    assert rows["heavy"]["Choices, Calculations, OR Slider Labels"] == "if([weight] > 100, 1, 0)"
    assert (
        rows["n_symptoms"]["Choices, Calculations, OR Slider Labels"] == "sum([symptoms(1)], [symptoms(x)])"
    )
    assert (
        rows["age"]["Choices, Calculations, OR Slider Labels"]
        == "round(datediff([dob], 'today', 'y', true), 0)"
    )
    assert (
        rows["weight"]["Text Validation Type OR Show Slider Number"],
        rows["weight"]["Text Validation Min"],
        rows["weight"]["Field Annotation"],
    ) == ("number_1dp_comma_decimal", "1", "@FORCE-MINMAX")
    assert (rows["dob"]["Text Validation Max"], rows["dob"]["Field Annotation"]) == ("today", "")
    assert rows["day"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert rows["worst"]["Field Type"] == "text"
    text = "\n".join(warnings)
    assert "worst" in text and "repeating form 'visits'" in text
    assert "form 'visits' is repeating" in text and "positive" in text


def test_export_writes_labels_in_the_chosen_language(tmp_path: Path) -> None:
    study = {
        "id": "bi",
        "title": {"en": "Bi", "es": "Bi"},
        "version": "1",
        "languages": ["en", "es"],
        "forms": ["f"],
    }
    form = {
        "name": "f",
        "label": {"en": "Form", "es": "Formulario"},
        "fields": [
            {
                "name": "fever",
                "type": "choice",
                "label": {"en": "Fever", "es": "Fiebre"},
                "help": {"en": "Highest", "es": "Máxima"},
                "section": {"en": "Signs", "es": "Signos"},
                "choices": [
                    {"code": 1, "label": {"en": "Yes", "es": "Sí"}},
                    {"code": 0, "label": {"en": "No", "es": "No"}},
                ],
            }
        ],
    }
    for name, document in (("study", study), ("f", form)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    export_dictionary(load_study(tmp_path), tmp_path / "es.csv", "es")
    fever = _read(tmp_path / "es.csv")[1]
    assert (fever["Field Label"], fever["Field Note"], fever["Section Header"]) == (
        "Fiebre",
        "Máxima",
        "Signos",
    )
    assert fever["Choices, Calculations, OR Slider Labels"] == "1, Sí | 0, No"
    assert fever["Field Type"] == "radio"
