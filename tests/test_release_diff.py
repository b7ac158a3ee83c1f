"""``clastordf diff``: facts and evidence lines added, removed and changed between two releases."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from clastordf.release import diff as release_diff
from clastordf.release.diff import (
    Counts,
    Entry,
    FieldChange,
    RecordChange,
    ReleaseDiffError,
    Value,
    diff_releases,
    first_release_markdown,
)

HEADER = """\
@prefix biolink: <https://w3id.org/biolink/vocab/> .
@prefix ce: <https://w3id.org/clastordf/evidence/> .
@prefix cf: <https://w3id.org/clastordf/fact/> .
@prefix clasto: <https://w3id.org/clastordf/vocab#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix pav: <http://purl.org/pav/> .
@prefix pubmed: <https://identifiers.org/pubmed/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix uniprot: <https://identifiers.org/uniprot/> .
@prefix void: <http://rdfs.org/ns/void#> .
"""

ENTITIES = """
uniprot:P01137 a clasto:GeneProduct ; rdfs:label "TGFB1" .
uniprot:P36897 a clasto:GeneProduct ; rdfs:label "TGFBR1" .
uniprot:P37173 a clasto:GeneProduct ; rdfs:label "TGFBR2" .
clasto:InVivoSupport rdfs:label "in vivo support"@en .
"""

CF0100_OLD = """
cf:CF0100 a clasto:ClastokineFact , clasto:CouplingFactor ;
    rdfs:label "Latent TGF-β1 released by resorption recruits *MSCs*"@en ;
    clasto:inferredType clasto:CouplingFactor ;
    clasto:hasClaim cf:CF0100-c1 , cf:CF0100-c2 ;
    clasto:ligand uniprot:P01137 ;
    clasto:receptor uniprot:P36897 ;
    clasto:evidenceLevel clasto:InVivoSupport .

cf:CF0100-c1 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0003001 ; rdf:object obo:CL_0000092 ;
    clasto:evidenceLevel clasto:InVivoSupport ;
    clasto:supportedBy ce:E0100 .

cf:CF0100-c2 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0018027 ; rdf:object uniprot:P36897 ;
    biolink:anatomical_context_qualifier obo:CL_0002540 ;
    clasto:evidenceLevel clasto:InVitroOnly ;
    clasto:supportedBy ce:E0101 .
"""

# CF0100 in the new release: another receptor, c2 now with in vivo support, and a new claim c3.
CF0100_NEW = """
cf:CF0100 a clasto:ClastokineFact , clasto:CouplingFactor ;
    rdfs:label "Latent TGF-β1 released by resorption recruits *MSCs*"@en ;
    clasto:inferredType clasto:CouplingFactor ;
    clasto:hasClaim cf:CF0100-c1 , cf:CF0100-c2 , cf:CF0100-c3 ;
    clasto:ligand uniprot:P01137 ;
    clasto:receptor uniprot:P37173 ;
    clasto:evidenceLevel clasto:InVivoSupport .

cf:CF0100-c1 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0003001 ; rdf:object obo:CL_0000092 ;
    clasto:evidenceLevel clasto:InVivoSupport ;
    clasto:supportedBy ce:E0100 .

cf:CF0100-c2 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0018027 ; rdf:object uniprot:P36897 ;
    biolink:anatomical_context_qualifier obo:CL_0002540 ;
    clasto:evidenceLevel clasto:InVivoSupport ;
    clasto:supportedBy ce:E0101 .

cf:CF0100-c3 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0004034 ; rdf:object obo:GO_0016477 ;
    clasto:evidenceLevel clasto:InVitroOnly ;
    clasto:supportedBy ce:E0103 .
"""

CF0101 = """
cf:CF0101 a clasto:RegulationFact ;
    rdfs:label "TGF-β1 induces LIF in osteoclasts"@en ;
    clasto:hasClaim cf:CF0101-c1 ;
    clasto:regulator uniprot:P01137 .

cf:CF0101-c1 a clasto:Claim ;
    rdf:subject uniprot:P01137 ; rdf:predicate obo:RO_0002213 ; rdf:object obo:GO_0048143 ;
    clasto:evidenceLevel clasto:InVivoSupport ;
    clasto:supportedBy ce:E0102 .
"""

CF0142 = """
cf:CF0142 a clasto:ClastokineFact ;
    rdfs:label "Osteoclast-derived CTHRC1 stimulates osteoblasts"@en ;
    clasto:hasClaim cf:CF0142-c1 .

cf:CF0142-c1 a clasto:Claim ;
    rdf:subject uniprot:Q96CG8 ; rdf:predicate obo:RO_0002213 ; rdf:object obo:GO_0001649 ;
    clasto:evidenceLevel clasto:InVitroOnly ;
    clasto:supportedBy ce:E0103 .
"""

E0100 = """
ce:E0100 a clasto:EvidenceLine ;
    dcterms:source pubmed:2920041 ;
    clasto:evidenceType obo:ECO_0000314 ;
    clasto:experimentalSystem clasto:InVitro ;
    obo:RO_0002162 obo:NCBITaxon_7742 .
"""

E0101_OLD = """
ce:E0101 a clasto:EvidenceLine ;
    dcterms:source pubmed:19584867 ;
    rdfs:comment "Tgfbr1 inhibitor in mice."@en ;
    clasto:evidenceType obo:ECO_0000314 ;
    clasto:experimentalSystem clasto:InVivo ;
    obo:RO_0002162 obo:NCBITaxon_10090 .
"""

E0101_NEW = """
ce:E0101 a clasto:EvidenceLine ;
    dcterms:source pubmed:19584867 ;
    rdfs:comment "TβRI kinase inhibitor in mice."@en ;
    clasto:evidenceType obo:ECO_0000315 ;
    clasto:experimentalSystem clasto:InVivo ;
    obo:RO_0002162 obo:NCBITaxon_10090 .
"""

E0102 = """
ce:E0102 a clasto:EvidenceLine ;
    dcterms:source pubmed:11929865 ;
    clasto:evidenceType obo:ECO_0000314 ;
    clasto:experimentalSystem clasto:InVitro ;
    obo:RO_0002162 obo:NCBITaxon_9606 .
"""

E0103 = """
ce:E0103 a clasto:EvidenceLine ;
    dcterms:source pubmed:23891907 ;
    clasto:evidenceType obo:ECO_0000314 ;
    clasto:experimentalSystem clasto:InVitro ;
    obo:RO_0002162 obo:NCBITaxon_10090 .
"""


def turtle(version: str | None, *blocks: str) -> str:
    """A release's Turtle: the prefixes, the dataset node (with ``pav:version`` unless None), ``blocks``."""
    dataset = f'<https://w3id.org/clastordf/dataset> a void:Dataset ; pav:version "{version}" .\n' if version else ""
    return HEADER + "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n\n" + dataset + "".join(blocks)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


OLD = turtle("0.1.0", ENTITIES, CF0100_OLD, CF0101, E0100, E0101_OLD, E0102)
NEW = turtle("0.2.0", ENTITIES, CF0100_NEW, CF0142, E0100, E0101_NEW, E0103)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """The old and the new release as Turtle files."""
    return write(tmp_path / "old.ttl", OLD), write(tmp_path / "new.ttl", NEW)


def test_versions_and_counts(pair: tuple[Path, Path]) -> None:
    diff = diff_releases(*pair)
    assert (diff.old_version, diff.new_version) == ("0.1.0", "0.2.0")
    assert diff.old_counts == Counts(facts=2, evidence=3)
    assert diff.new_counts == Counts(facts=2, evidence=3)
    assert not diff.is_empty


def test_facts_added_and_removed(pair: tuple[Path, Path]) -> None:
    diff = diff_releases(*pair)
    assert diff.facts_added == [Entry("cf:CF0142", "Osteoclast-derived CTHRC1 stimulates osteoblasts")]
    assert diff.facts_removed == [Entry("cf:CF0101", "TGF-β1 induces LIF in osteoclasts")]


def test_fact_changes_name_each_field_and_claim(pair: tuple[Path, Path]) -> None:
    [change] = diff_releases(*pair).facts_changed
    assert (change.id, change.label) == ("cf:CF0100", "Latent TGF-β1 released by resorption recruits *MSCs*")
    by_field = {f.field: f for f in change.fields}
    # Sorted by field name: claim fields, then the claim set, then the fact's own predicates.
    assert [f.field for f in change.fields] == [
        "claim c2 clasto:evidenceLevel",
        "claim c3 clasto:evidenceLevel",
        "claim c3 clasto:supportedBy",
        "claim c3 rdf:object",
        "claim c3 rdf:predicate",
        "claim c3 rdf:subject",
        "claim c3 rdf:type",
        "claims",
        "clasto:receptor",
    ]
    assert by_field["claim c2 clasto:evidenceLevel"] == FieldChange(
        "claim c2 clasto:evidenceLevel",
        (Value("clasto:InVitroOnly"),),
        (Value("clasto:InVivoSupport", "in vivo support"),),
    )
    assert by_field["claims"] == FieldChange("claims", (), (Value("c3"),))
    assert by_field["claim c3 rdf:object"] == FieldChange("claim c3 rdf:object", (), (Value("obo:GO_0016477"),))
    # Values carry the short label of the release they come from.
    assert by_field["clasto:receptor"] == FieldChange(
        "clasto:receptor", (Value("uniprot:P36897", "TGFBR1"),), (Value("uniprot:P37173", "TGFBR2"),)
    )


def test_claim_removed(tmp_path: Path) -> None:
    new_fact = CF0100_OLD.replace(", cf:CF0100-c2 ;", " ;").split("cf:CF0100-c2 a clasto:Claim")[0]
    old = write(tmp_path / "old.ttl", turtle("1", ENTITIES, CF0100_OLD))
    new = write(tmp_path / "new.ttl", turtle("2", ENTITIES, new_fact))
    [change] = diff_releases(old, new).facts_changed
    by_field = {f.field: f for f in change.fields}
    assert by_field["claims"] == FieldChange("claims", (Value("c2"),), ())
    assert by_field["claim c2 clasto:evidenceLevel"] == FieldChange(
        "claim c2 clasto:evidenceLevel", (Value("clasto:InVitroOnly"),), ()
    )
    assert all(f.field.startswith("claim c2 ") or f.field == "claims" for f in change.fields)
    assert all(not f.added for f in change.fields)


def test_evidence_added_removed_and_changed(pair: tuple[Path, Path]) -> None:
    diff = diff_releases(*pair)
    # Evidence lines have no label: their sources stand in for one.
    assert diff.evidence_added == [Entry("ce:E0103", "pubmed:23891907")]
    assert diff.evidence_removed == [Entry("ce:E0102", "pubmed:11929865")]
    assert diff.evidence_changed == [
        RecordChange(
            "ce:E0101",
            "pubmed:19584867",
            (
                FieldChange("clasto:evidenceType", (Value("obo:ECO_0000314"),), (Value("obo:ECO_0000315"),)),
                FieldChange(
                    "rdfs:comment",
                    (Value('"Tgfbr1 inhibitor in mice."@en'),),
                    (Value('"TβRI kinase inhibitor in mice."@en'),),
                ),
            ),
        )
    ]


EXPECTED_MARKDOWN = """\
## 0.2.0 (compared with 0.1.0)

Facts: 2 → 2 (1 added, 1 removed, 1 changed). Evidence lines: 3 → 3 (1 added, 1 removed, 1 changed).

### Facts added

- `cf:CF0142` — Osteoclast-derived CTHRC1 stimulates osteoblasts

### Facts removed

- `cf:CF0101` — TGF-β1 induces LIF in osteoclasts

### Facts changed

- `cf:CF0100` — Latent TGF-β1 released by resorption recruits \\*MSCs\\*
  - `claim c2 clasto:evidenceLevel`: removed `clasto:InVitroOnly`; added `clasto:InVivoSupport` (in vivo support)
  - `claim c3 clasto:evidenceLevel`: added `clasto:InVitroOnly`
  - `claim c3 clasto:supportedBy`: added `ce:E0103`
  - `claim c3 rdf:object`: added `obo:GO_0016477`
  - `claim c3 rdf:predicate`: added `obo:RO_0004034`
  - `claim c3 rdf:subject`: added `uniprot:P01137` (TGFB1)
  - `claim c3 rdf:type`: added `clasto:Claim`
  - `claims`: added `c3`
  - `clasto:receptor`: removed `uniprot:P36897` (TGFBR1); added `uniprot:P37173` (TGFBR2)

### Evidence added

- `ce:E0103` — pubmed:23891907

### Evidence removed

- `ce:E0102` — pubmed:11929865

### Evidence changed

- `ce:E0101` — pubmed:19584867
  - `clasto:evidenceType`: removed `obo:ECO_0000314`; added `obo:ECO_0000315`
  - `rdfs:comment`: removed `"Tgfbr1 inhibitor in mice."@en`; added `"TβRI kinase inhibitor in mice."@en`
"""


def test_markdown_changelog_section(pair: tuple[Path, Path]) -> None:
    assert diff_releases(*pair).to_markdown() == EXPECTED_MARKDOWN


def test_markdown_omits_empty_sections(tmp_path: Path) -> None:
    old = write(tmp_path / "old.ttl", turtle("1", ENTITIES, CF0101, E0100))
    new = write(tmp_path / "new.ttl", turtle("2", ENTITIES, CF0101, CF0142, E0100))
    text = diff_releases(old, new).to_markdown()
    assert [line for line in text.splitlines() if line.startswith("#")] == ["## 2 (compared with 1)", "### Facts added"]


def test_json_is_complete_and_ordered(pair: tuple[Path, Path]) -> None:
    data = json.loads(diff_releases(*pair).to_json())
    assert list(data) == ["old", "new", "facts", "evidence"]
    assert data["old"] == {"version": "0.1.0", "facts": 2, "evidence": 3}
    assert list(data["facts"]) == ["added", "removed", "changed"]
    assert data["facts"]["added"] == [{"id": "cf:CF0142", "label": "Osteoclast-derived CTHRC1 stimulates osteoblasts"}]
    [changed] = data["facts"]["changed"]
    assert changed["fields"][-1] == {
        "field": "clasto:receptor",
        "removed": [{"text": "uniprot:P36897", "label": "TGFBR1"}],
        "added": [{"text": "uniprot:P37173", "label": "TGFBR2"}],
    }
    assert data["evidence"]["removed"] == [{"id": "ce:E0102", "label": "pubmed:11929865"}]


def test_identical_releases_are_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "same.ttl", OLD)
    diff = diff_releases(path, path)
    assert diff.is_empty
    assert diff.to_markdown() == (
        "## 0.1.0 (compared with 0.1.0)\n\n"
        "No facts or evidence lines were added, removed or changed "
        "(2 facts, 3 evidence lines).\n"
    )
    data = json.loads(diff.to_json())
    assert all(data[group][kind] == [] for group in ("facts", "evidence") for kind in ("added", "removed", "changed"))


def test_serialisation_order_and_blank_node_ids_do_not_matter(tmp_path: Path) -> None:
    """The same triples written in another order, with other blank-node ids, are no change."""
    qualified = '    clasto:measuredIn [ rdfs:label "calvaria" ; obo:RO_0002162 obo:NCBITaxon_10090 ] ;\n'
    old_e0100 = E0100.replace("    dcterms:source", qualified + "    dcterms:source")
    new_e0100 = (
        "ce:E0100 obo:RO_0002162 obo:NCBITaxon_7742 .\n"
        "ce:E0100 clasto:measuredIn _:zz9 .\n"
        "_:zz9 obo:RO_0002162 obo:NCBITaxon_10090 .\n"
        '_:zz9 rdfs:label "calvaria" .\n'
        "ce:E0100 clasto:experimentalSystem clasto:InVitro ; clasto:evidenceType obo:ECO_0000314 ;"
        " dcterms:source pubmed:2920041 ; a clasto:EvidenceLine .\n"
    )
    old = write(tmp_path / "old.ttl", turtle("1", ENTITIES, CF0100_OLD, old_e0100))
    new = write(tmp_path / "new.ttl", turtle("1", new_e0100, CF0100_OLD.replace("\n\n", "\n\n\n"), ENTITIES))
    assert diff_releases(old, new).is_empty

    # ...but a change inside the blank node is one, shown by its content.
    changed = write(tmp_path / "changed.ttl", turtle("1", ENTITIES, CF0100_OLD, old_e0100.replace("calvaria", "femur")))
    [change] = diff_releases(old, changed).evidence_changed
    assert change.fields == (
        FieldChange(
            "clasto:measuredIn",
            (Value('[ obo:RO_0002162 obo:NCBITaxon_10090 ; rdfs:label "calvaria" ]'),),
            (Value('[ obo:RO_0002162 obo:NCBITaxon_10090 ; rdfs:label "femur" ]'),),
        ),
    )


def test_output_is_byte_stable(pair: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = diff_releases(*pair), diff_releases(*pair)
    assert first.to_markdown() == second.to_markdown()
    assert first.to_json() == second.to_json()
    # The new release written with its blocks in reverse order renders identically.
    reversed_new = write(
        tmp_path / "reversed.ttl", turtle("0.2.0", E0103, E0101_NEW, E0100, CF0142, CF0100_NEW, ENTITIES)
    )
    assert diff_releases(pair[0], reversed_new).to_markdown() == EXPECTED_MARKDOWN


def test_release_folder_or_file(pair: tuple[Path, Path], tmp_path: Path) -> None:
    folder = tmp_path / "release" / "0.1.0"
    write(folder / "clastordf.ttl", OLD)
    assert diff_releases(folder, pair[1]).to_json() == diff_releases(*pair).to_json()


def test_version_falls_back_to_the_folder_name(tmp_path: Path) -> None:
    old = tmp_path / "release" / "0.3.0"
    write(old / "clastordf.ttl", turtle(None, CF0101))
    new = write(tmp_path / "new.ttl", turtle(None, CF0101))
    diff = diff_releases(old, new)
    assert (diff.old_version, diff.new_version) == ("0.3.0", "new.ttl")


def test_missing_file_names_it(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    empty = tmp_path / "empty-release"
    empty.mkdir()
    with pytest.raises(ReleaseDiffError, match=str(empty / "clastordf.ttl")):
        diff_releases(empty, pair[1])
    with pytest.raises(ReleaseDiffError, match=str(tmp_path / "nowhere.ttl")):
        diff_releases(pair[0], tmp_path / "nowhere.ttl")


def test_broken_turtle_names_file_and_line(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    broken = write(tmp_path / "broken.ttl", HEADER + 'cf:CF0100 rdfs:label "never closed .\n')
    with pytest.raises(ReleaseDiffError) as caught:
        diff_releases(pair[0], broken)
    line = HEADER.count("\n") + 1
    assert str(caught.value).startswith(f"{broken}:{line}: not valid Turtle")
    assert isinstance(caught.value, ValueError)


def test_first_release_markdown(tmp_path: Path) -> None:
    path = write(tmp_path / "release" / "0.1.0" / "clastordf.ttl", OLD)
    expected = "## 0.1.0\n\nFirst release: 2 facts, 3 evidence lines and 3 entities (3 gene products).\n"
    assert first_release_markdown("0.1.0", path) == expected
    assert first_release_markdown("0.1.0", path.parent) == expected


def test_docstring_examples() -> None:
    assert doctest.testmod(release_diff).failed == 0


def _drop_fact_and_promote_claim(source: Path, dest: Path) -> tuple[str, str, str]:
    """Write ``source`` without one fact (and its claims) and with one in-vitro-only claim given in
    vivo support; return the dropped fact's CURIE, the changed fact's CURIE and the claim suffix."""
    store = ox.Store()
    store.load(path=str(source), format=ox.RdfFormat.TURTLE)
    cf, clasto = release_diff.PREFIXES["cf"], release_diff.PREFIXES["clasto"]
    has_claim, status = ox.NamedNode(clasto + "hasClaim"), ox.NamedNode(clasto + "evidenceLevel")
    objects = {q.object for q in store}
    facts = sorted({q.subject for q in store.quads_for_pattern(None, has_claim, None)}, key=lambda n: n.value)
    # A fact nothing points to, so dropping it changes no other record.
    dropped = next(f for f in facts if f not in objects)
    claims = [q.object for q in store.quads_for_pattern(dropped, has_claim, None)]
    for node in [dropped, *claims]:
        for quad in list(store.quads_for_pattern(node, None, None)):
            store.remove(quad)
    putative = ox.NamedNode(clasto + "InVitroOnly")
    fact, claim = next(
        (q.subject, q.object)
        for q in store.quads_for_pattern(None, has_claim, None)
        if ox.Quad(q.object, status, putative) in store
    )
    store.remove(ox.Quad(claim, status, putative))
    store.add(ox.Quad(claim, status, ox.NamedNode(clasto + "InVivoSupport")))
    store.dump(dest, format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    return dropped.value.removeprefix(cf), fact.value.removeprefix(cf), claim.value.removeprefix(fact.value + "-")


def test_real_build_reports_exactly_the_edits(real_build_dir: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.ttl"
    dropped, fact, suffix = _drop_fact_and_promote_claim(real_build_dir / "clastordf.ttl", edited)
    diff = diff_releases(real_build_dir, edited)

    assert [e.id for e in diff.facts_removed] == [f"cf:{dropped}"]
    assert diff.facts_removed[0].label  # the real label, read from the old release
    assert diff.facts_added == []
    [change] = diff.facts_changed
    assert change.id == f"cf:{fact}"
    assert [(f.field, [v.text for v in f.removed], [v.text for v in f.added]) for f in change.fields] == [
        (f"claim {suffix} clasto:evidenceLevel", ["clasto:InVitroOnly"], ["clasto:InVivoSupport"])
    ]
    assert (diff.evidence_added, diff.evidence_removed, diff.evidence_changed) == ([], [], [])
    assert diff.new_counts == Counts(diff.old_counts.facts - 1, diff.old_counts.evidence)
    assert f"`cf:{dropped}`" in diff.to_markdown()
