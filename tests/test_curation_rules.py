"""The curation rules of curation/RULES.md, as tests on the real data, each with a negative test.

The real-data tests read the curation and its derived layer; the negative tests alter the mini
fixture (or the real model in memory) and expect the rule to catch it.
"""

from __future__ import annotations

import csv
import dataclasses
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from clastordf.build import Timings, checked_curation
from clastordf.curation import model
from clastordf.curation.derive import check_facts, derive_all, derive_fact, evidence_level
from clastordf.curation.model import Curation
from clastordf.curation.reader import read_curation
from clastordf.problems import ProblemsFound
from clastordf.vocab import CLASTO, IN_TAXON, OBO
from clastordf.wikipathways.gmt import set_members

from .test_curation_errors import edit, problems_of

CATEGORY_OF_ROW = {
    "Membrane bound": "MembraneBoundFactors",
    "Matrix derived": "MatrixDerivedFactors",
    "Secreted (clastokines)": "SecretedClastokines",
    "Putative clastokines (limited data)": "PutativeClastokines",
    "EV-contained": "EVContainedFactors",
}


def section_category(section: int) -> str | None:
    """The review category of a body section (RULES.md)."""
    if section == 2:
        return "MatrixDerivedFactors"
    if 3 <= section <= 6:
        return "MembraneBoundFactors"
    if 7 <= section <= 15:
        return "SecretedClastokines"
    if 16 <= section <= 21:
        return "PutativeClastokines"
    if section == 22:
        return "EVContainedFactors"
    return None


@pytest.fixture(scope="module")
def curation(repo) -> Curation:
    return read_curation(repo.curation)


@pytest.fixture(scope="module")
def derived(curation):
    return derive_all(curation)


@pytest.fixture(scope="module")
def data(real_build_dir: Path) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.ttl", format="turtle")


# ------------------------------------------------------------------ review category


def table1_categories(shared: Path) -> dict[int, str]:
    with (shared / "sources" / "elife-95083-table1.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {i: CATEGORY_OF_ROW[row["Category"]] for i, row in enumerate(rows, start=1)}


def category_problems(curation: Curation, rows: dict[int, str]) -> list[str]:
    """Facts whose review category is not the one of their first Table 1 row, or of their first
    section when they cite no row."""
    out = []
    for fact in curation.facts:
        first_row = next((loc for loc in fact.source_locations if loc.startswith("table1-row")), None)
        if first_row:
            expected = rows[int(first_row.removeprefix("table1-row"))]
        else:
            sections = [
                section_category(int(loc[1:])) for loc in fact.source_locations if loc[0] == "s" and loc[1:].isdigit()
            ]
            expected = next((c for c in sections if c), None)
        if expected and fact.review_category != expected:
            out.append(f"{fact.id}: {fact.review_category}, the source says {expected}")
    return out


def test_category_is_table1s(curation, shared):
    assert category_problems(curation, table1_categories(shared)) == []


def test_category_of_text_only_facts(curation, shared):
    text_only = [f for f in curation.facts if not any(loc.startswith("table1-row") for loc in f.source_locations)]
    assert text_only, "some mechanisms are described only in the text"
    assert (
        category_problems(
            Curation(curation.dataset, curation.entities, text_only, curation.evidence), table1_categories(shared)
        )
        == []
    )


def test_a_wrong_category_is_caught(curation, shared):
    s1p = next(f for f in curation.facts if f.id == "CF0201")
    wrong = dataclasses.replace(s1p, review_category="PutativeClastokines")
    problems = category_problems(
        Curation(curation.dataset, curation.entities, [wrong], curation.evidence), table1_categories(shared)
    )
    assert problems == ["CF0201: PutativeClastokines, the source says SecretedClastokines"]


def test_status_is_not_curated_any_more(mini):
    edit(
        mini,
        "facts/slit3.yaml",
        "    review_category: SecretedClastokines\n",
        "    review_category: SecretedClastokines\n    status: Established\n",
    )
    (problem,) = problems_of(mini)
    assert "status: `status:` is no longer curated" in problem


def test_an_unknown_category_is_refused(mini):
    edit(mini, "facts/slit3.yaml", "    review_category: SecretedClastokines\n", "    review_category: Clastokines\n")
    (problem,) = problems_of(mini)
    assert "review_category: 'Clastokines' is not one of MembraneBoundFactors" in problem


# ------------------------------------------------------------------ evidence level


def test_same_evidence_same_level(curation, derived):
    by_support: dict[frozenset[str], set[str]] = defaultdict(set)
    for fact in curation.facts:
        for claim in fact.claims:
            if not claim.level_override:
                by_support[frozenset(claim.supported_by)].add(derived[fact.id].claim_levels[claim.id])
    assert {k: v for k, v in by_support.items() if len(v) > 1} == {}
    # LIF and CT-1 on sclerostin rest on one study (Walker 2010): one level (E2 of the 2026-12 review).
    walker = [derived[f.id].claim_levels[c.id] for f in curation.facts for c in f.claims if c.supported_by == ["E0606"]]
    assert len(walker) >= 2 and set(walker) == {"InVitroOnly"}


def test_in_vivo_level_needs_in_vivo_line(curation, derived):
    for fact in curation.facts:
        for claim in fact.claims:
            systems = {curation.evidence[e].system for e in claim.supported_by}
            level = derived[fact.id].computed_levels[claim.id]
            assert (level == "InVivoSupport") == bool(systems & set(model.IN_VIVO_SYSTEMS)), (fact.id, claim.id)


def test_the_level_rule_ignores_disputing_lines(mini):
    # c1 of CF0001 is supported in vitro; a disputing in vivo line must not lift it.
    curation = read_curation(mini.curation)
    fact = curation.facts[0]
    claim = fact.claims[0]
    in_vivo = next(e for e in curation.evidence.values() if e.system in model.IN_VIVO_SYSTEMS)
    support = [curation.evidence[e] for e in claim.supported_by]
    before = evidence_level(support)
    disputed = dataclasses.replace(claim, disputed_by=[in_vivo.id])
    altered = dataclasses.replace(fact, claims=[disputed, *fact.claims[1:]])
    assert derive_fact(altered, curation).claim_levels[claim.id] == before


def test_an_override_needs_a_reason(mini):
    edit(
        mini,
        "facts/slit3.yaml",
        "        supported_by: [E0004]\n",
        "        supported_by: [E0004]\n        evidence_level: InVitroOnly\n",
    )
    (problem,) = problems_of(mini)
    assert "evidence_level_reason: overriding the computed evidence level needs a stated reason" in problem


def test_an_override_is_published_with_its_reason(mini, tmp_path):
    from clastordf.build import build

    edit(
        mini,
        "facts/slit3.yaml",
        "        supported_by: [E0004]\n",
        "        supported_by: [E0004]\n        evidence_level: InVitroOnly\n"
        "        evidence_level_reason: the review reports a binding assay for another ligand\n",
    )
    build(mini, tmp_path / "out", lambda _: None)
    g = Graph().parse(tmp_path / "out" / "clastordf.ttl", format="turtle")
    (claim,) = g.subjects(CLASTO.evidenceLevelReason, None)
    assert (claim, CLASTO.evidenceLevel, CLASTO.InVitroOnly) in g
    assert (claim, CLASTO.computedEvidenceLevel, CLASTO.AuthorStatementOnly) in g
    assert "another ligand" in str(g.value(claim, CLASTO.evidenceLevelReason))


# ------------------------------------------------------------------ contested and the derived layer


def test_contested_means_disputed(curation, derived):
    for fact in curation.facts:
        assert derived[fact.id].contested == any(c.disputed_by for c in fact.claims), fact.id


def test_fact_taxa_and_references_come_from_support(curation, derived):
    for fact in curation.facts:
        support = {e for c in fact.claims for e in c.supported_by}
        taxa = {t.text for e in support for t in curation.evidence[e].taxa}
        pmids = {curation.evidence[e].pmid for e in support} - {None}
        assert set(derived[fact.id].taxa) <= taxa, fact.id
        assert set(derived[fact.id].pmids) == pmids, fact.id


def test_slit3_is_not_human_on_the_strength_of_its_refutation(data):
    # Li 2020 (PMID 32133214, human) disputes the osteoclast source of SLIT3 (E10 of the 2026-12 review).
    slit3 = URIRef("https://w3id.org/clastordf/fact/CF0320")
    assert (slit3, IN_TAXON, OBO.NCBITaxon_9606) not in data
    assert (slit3, CLASTO.disputingReference, URIRef("https://identifiers.org/pubmed/32133214")) in data
    assert (slit3, DCTERMS.references, URIRef("https://identifiers.org/pubmed/32133214")) not in data


def test_a_disputing_line_never_adds_a_taxon(mini):
    curation = read_curation(mini.curation)
    fact = curation.facts[0]
    foreign = dataclasses.replace(
        next(iter(curation.evidence.values())), id="E9000", taxa=[model.Ref("NCBITaxon:9031", None, "taxa", fact.loc)]
    )
    curation.evidence["E9000"] = foreign
    claim = dataclasses.replace(fact.claims[0], disputed_by=["E9000"])
    d = derive_fact(dataclasses.replace(fact, claims=[claim, *fact.claims[1:]]), curation)
    assert "NCBITaxon:9031" not in d.taxa and d.contested


def test_contested_effects_make_no_class(data):
    pdgf = URIRef("https://w3id.org/clastordf/fact/CF0405")
    assert (pdgf, RDF.type, CLASTO.PutativeClastokine) in data
    assert (pdgf, CLASTO.contested, Literal(True)) in data
    assert (pdgf, RDF.type, CLASTO.BoneCommunicationFactor) not in data
    for settled in data.objects(pdgf, CLASTO.promotes):
        assert (pdgf, CLASTO.contestedPromotes, settled) not in data


def test_putative_clastokines_are_the_reviews(data, curation):
    facts = set(data.subjects(RDF.type, CLASTO.PutativeClastokine))
    keys = {next(f.agent.text for f in curation.facts if f.id == str(x).rsplit("/", 1)[-1]) for x in facts}
    # Table 1 rows 18-22 and sections s17-s21: afamin, CXCL16, BMP6, PDGF-BB, HGF.
    assert keys == {"AFM", "CXCL16", "BMP6", "PDGFB", "HGF"}
    s1p = {URIRef(f"https://w3id.org/clastordf/fact/{i}") for i in ("CF0200", "CF0201", "CF0202", "CF0203")}
    assert not facts & s1p
    assert s1p <= set(data.subjects(RDF.type, CLASTO.ReviewClastokine))


def test_gene_sets_flag_contested_and_skip_reverse(data):
    sets = set_members(data)
    assert 355 not in sets["all"] and 356 not in sets["all"]  # FAS, FASLG: osteoblast to osteoclast
    contested = [k for k in sets if k.startswith("contested-")]
    assert contested, "contested effects have their own sets"
    assert not any(k == "inhibits:GO:0001649" and 5155 in v for k, v in sets.items())  # PDGFB, contested


# ------------------------------------------------------------------ predicates and attribution


def test_matrix_factors_are_released_not_produced(curation, derived):
    for fact in curation.facts:
        if fact.mechanism == "MatrixDerived":
            d = derived[fact.id]
            assert not d.producing_cells or not set(d.producing_cells) & {"CL:0000092", "CL:0000778"}, fact.id
            assert d.releasing_cells or d.contested_source_cells, fact.id


def test_produced_by_osteoclast_for_a_matrix_factor_is_caught(mini):
    edit(mini, "facts/slit3.yaml", "    mechanism: Secreted\n", "    mechanism: MatrixDerived\n")
    problems = problems_of(mini)
    assert any("a matrix-derived factor is not produced by the resorbing osteoclast" in p for p in problems)


def test_osteoclast_claims_do_not_rest_on_osteoblast_manipulation(curation, derived):
    assert [p for p in check_facts(curation, derived) if "osteoblast-lineage cells" in p.message] == []


def test_osteoblast_manipulation_as_osteoclast_evidence_is_caught(mini):
    curation = read_curation(mini.curation)
    fact = next(f for f in curation.facts if f.type == "ClastokineFact")
    claim = fact.claims[-1]
    for eid in claim.supported_by:
        curation.evidence[eid] = dataclasses.replace(
            curation.evidence[eid], cell_manipulated=model.Ref("CL:0000062", None, "cell_manipulated", fact.loc)
        )
    problems = check_facts(curation, derive_all(curation))
    assert any(p.record == fact.id and "osteoblast-lineage cells" in p.message for p in problems)


# ------------------------------------------------------------------ one term per biology; species

MSC = {"CL:0000134", "CL:0002540"}


def test_msc_migration_is_one_term(curation):
    wrong = [
        f"{f.id}-{c.id}"
        for f in curation.facts
        for c in f.claims
        if c.object.text == "GO:0016477" and c.context and c.context.text in MSC
    ]
    assert wrong == []


def test_generic_migration_of_mscs_is_caught(curation):
    fact = next(f for f in curation.facts if f.id == "CF0100")
    claim = dataclasses.replace(
        fact.claims[0],
        object=model.Ref("GO:0016477", None, "object", fact.loc),
        context=model.Ref("CL:0002540", None, "context", fact.loc),
    )
    altered = Curation(
        curation.dataset, curation.entities, [dataclasses.replace(fact, claims=[claim])], curation.evidence
    )
    with pytest.raises(AssertionError):
        test_msc_migration_is_one_term(altered)


def unexplained_species(curation: Curation) -> list[str]:
    """Lines of a study whose species differ from another line of the same study without saying why.

    Different experiments of one study may use different species (mouse in vivo, human samples); what
    is not allowed is one study annotated two ways without a word (Tang 2009: Vertebrata on one line,
    mouse on another), so every line of a study with several species sets names its experiment's species.
    """
    by_study: dict[str, list[model.Evidence]] = defaultdict(list)
    for ev in curation.evidence.values():
        if ev.system != "LiteratureReview":
            by_study[ev.pmid or ev.doi or ""].append(ev)
    out = []
    for lines in by_study.values():
        if len({frozenset(t.text for t in ev.taxa) for ev in lines}) > 1:
            out += [ev.id for ev in lines if "this experiment" not in " ".join((ev.comment or "").split())]
    return sorted(out)


def test_one_study_one_species(curation):
    assert unexplained_species(curation) == []


def test_two_species_for_one_study_are_caught(curation):
    ev = next(e for e in curation.evidence.values() if e.system != "LiteratureReview")
    twin = dataclasses.replace(
        ev,
        id="E9999",
        taxa=[model.Ref("NCBITaxon:9031", None, "taxa", ev.loc)],
        comment="an unexplained second annotation",
    )
    altered = Curation(curation.dataset, curation.entities, curation.facts, {**curation.evidence, "E9999": twin})
    assert "E9999" in unexplained_species(altered)


def test_vertebrata_says_why(curation):
    vague = [
        e.id
        for e in curation.evidence.values()
        if any(t.text == "NCBITaxon:7742" for t in e.taxa) and "species" not in (e.comment or "").lower()
    ]
    assert vague == []


def test_mouse_only_facts_say_orthology(curation, derived, data):
    for fact in curation.facts:
        d = derived[fact.id]
        node = URIRef(f"https://w3id.org/clastordf/fact/{fact.id}")
        entity = curation.entities.get(fact.agent.text)
        if isinstance(entity, model.GeneProduct) and d.taxa and "NCBITaxon:9606" not in d.taxa:
            assert (node, CLASTO.humanByOrthology, Literal(True)) in data, fact.id
        if "NCBITaxon:9606" in d.taxa:
            assert (node, CLASTO.humanByOrthology, None) not in data, fact.id


def test_mirna_types_and_gene_links(data):
    stem_loop = URIRef("https://identifiers.org/mirbase/MI0000813")
    mature = URIRef("https://identifiers.org/mirbase.mature/MIMAT0000271")
    assert (stem_loop, RDF.type, OBO.SO_0001244) in data and (stem_loop, RDF.type, OBO.SO_0000276) not in data
    assert (mature, RDF.type, OBO.SO_0000276) in data
    skos_exact = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    assert not list(data.objects(mature, skos_exact))
    assert URIRef("https://identifiers.org/ncbigene/406996") in set(data.objects(mature, OBO.RO_0002204))


def test_the_fixture_still_builds_with_the_rules(mini):
    curation, _, _ = checked_curation(mini, Timings(), lambda _: None)
    assert all(f.review_category in model.REVIEW_CATEGORIES for f in curation.facts)
    with pytest.raises(ProblemsFound):
        edit(mini, "facts/slit3.yaml", "    review_category: SecretedClastokines\n", "")
        checked_curation(mini, Timings(), lambda _: None)


def test_doctests():
    import doctest

    from clastordf.curation import derive
    from clastordf.reports import tables

    for module in (derive, tables):
        assert doctest.testmod(module).failed == 0, module.__name__
