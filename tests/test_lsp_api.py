"""The API an editor uses: checking unsaved text, the names index with spans, related places, format_text."""
import os

import pytest

import warrant

ROOT = os.path.join(os.path.dirname(__file__), "..")
RULES = os.path.join(ROOT, "rules")
TRUSTS = os.path.join(RULES, "nhs_trusts.warrant")


def _text(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_check_reads_unsaved_text_instead_of_the_disk():
    text = _text(TRUSTS).replace("Item in trust_debtor_data", "Item in trust_debtor_dat")
    report = warrant.check(RULES, invariants=False, texts={TRUSTS: text})
    found = [d for d in report.diagnostics if d.code == "C104"]
    assert len(found) == 1 and found[0].suggestion == "trust_debtor_data"
    assert found[0].span.file == TRUSTS and found[0].span.line == 27
    assert warrant.check(RULES, invariants=False).ok          # the disk is untouched


def test_a_duplicate_names_the_first_declaration_as_a_related_place():
    text = _text(TRUSTS) + '\nset clinical_data "again" = {name}\n'
    report = warrant.check(RULES, invariants=False, texts={TRUSTS: text})
    twice = next(d for d in report.diagnostics if d.code == "C109")
    assert {twice.span.file, twice.related[0].file} == {TRUSTS, os.path.join(RULES, "vocabulary.warrant")}
    assert twice.to_json()["related"][0]["line"] == twice.related[0].line


def test_an_unsaved_text_over_the_size_limit_is_w006_not_a_hang():
    report = warrant.check(RULES, invariants=False, texts={TRUSTS: "#" * (5 << 20)})
    assert [d.code for d in report.diagnostics] == ["W006"]


def test_the_names_index_has_every_use_with_its_exact_span():
    index = warrant.names(RULES)
    assert not index.unparsed
    use = index.at(TRUSTS, 27, 25)
    assert (use.kind, use.name) == ("set", "trust_debtor_data")
    assert (use.span.line, use.span.column, use.span.end_column) == (27, 22, 38)
    line = _text(TRUSTS).splitlines()[26]
    assert line[use.span.column - 1:use.span.end_column] == "trust_debtor_data"
    (declared,) = index.declared("set", "trust_debtor_data")
    assert declared.span.file.endswith("vocabulary.warrant") and "name, last_known_address, age" in declared.doc
    assert len(index.uses_of("set", "trust_debtor_data")) == 2


@pytest.mark.parametrize("kind,name", [("rule", "debt_over_500"), ("definition", "debt_threshold_met"),
                                       ("field", "holder"), ("enum value", "nhs_trust"), ("source", "independent_2019"),
                                       ("assumption", "debt_threshold_inclusive"), ("policy", "nhs_trust_debt_data"),
                                       ("lineage", "nhs_digital_home_office"), ("enum", "data_holder"),
                                       ("invariant", "clinical_data_never_released")])
def test_every_kind_of_name_is_declared_and_its_uses_read_as_written(kind, name):
    index = warrant.names(RULES)
    assert index.declared(kind, name), (kind, name)
    for use in index.uses_of(kind, name):
        line = _text(use.span.file).splitlines()[use.span.line - 1]
        assert line[use.span.column - 1:use.span.end_column] == name


def test_readings_are_named_within_their_assumption():
    folder = os.path.join(ROOT, "examples", "rulebases", "crime_disorder_s115")
    index = warrant.names(folder)
    (reading,) = index.declared("reading", "necessary_only", "purpose_test")
    assert reading.container == "purpose_test"
    assert any(not u.declaration for u in index.uses_of("reading", "either", "purpose_test"))


def test_a_file_that_does_not_parse_is_listed_and_the_others_indexed():
    index = warrant.names(RULES, texts={TRUSTS: "permit half for Item \"s\" when"})
    assert index.unparsed == (TRUSTS,)
    assert index.declared("set", "trust_debtor_data") and not index.declared("rule", "debt_over_500")


def test_format_text_is_fmt_on_text_and_refuses_what_does_not_parse():
    text = _text(TRUSTS)
    assert warrant.format_text(text, TRUSTS) == text
    assert warrant.format_text(text.replace("\n    cites", "  cites"), TRUSTS) == text
    with pytest.raises(warrant.WarrantError) as caught:
        warrant.format_text("policy {", TRUSTS)
    assert caught.value.diagnostics[0].code == "W002"


def test_load_reads_unsaved_text_and_decides_with_it():
    request = os.path.join(ROOT, "examples", "requests", "readme_debt_exactly_500.yaml")

    def name(rulebase):
        return {i.item: i.outcome for i in rulebase.decide(request, explain="none").items}["name"]
    assert name(warrant.load(RULES)) == warrant.Outcome.PERMITTED
    text = _text(TRUSTS).replace("and assuming debt_threshold_inclusive", "and not assuming debt_threshold_inclusive")
    assert name(warrant.load(RULES, texts={TRUSTS: text})) == warrant.Outcome.REFUSED
    assert name(warrant.load(RULES)) == warrant.Outcome.PERMITTED           # the disk as it was
    with pytest.raises(warrant.WarrantError) as caught:
        warrant.load(RULES, texts={TRUSTS: text.replace("Item in trust_debtor_data", "Item in trust_debtr_data")})
    assert caught.value.diagnostics[0].code == "C104"
