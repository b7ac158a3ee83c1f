"""Identifier checks: every CURIE, gene, miRNA and citation in the curation against the term index
and the review's bibliography.

Each problem names the file, line, record and field, and the replacement term when one is known.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..curation import model
from ..curation.model import Curation, Ref
from ..problems import Problem
from ..vocab import BUILTIN_TERMS
from .index import TermIndex

REFRESH_HINT = "run `clastordf terms refresh --reference ../shared/reference` after adding new terms"


def _ref_problem(ref: Ref, message: str) -> Problem:
    return Problem(ref.loc.file, ref.loc.line, ref.loc.record, ref.field, message)


def term_refs(curation: Curation) -> Iterator[tuple[Ref, tuple[str, ...], str | None]]:
    """Every CURIE reference with the prefixes allowed in its slot and, for GO, the namespace."""
    for entity in curation.entities.values():
        if isinstance(entity, model.Chemical):
            yield entity.chebi, ("CHEBI",), None
        elif isinstance(entity, model.MiRNA):
            yield entity.mirbase, ("mirbase.mature", "mirbase"), None
            if entity.mouse_mirbase:
                yield entity.mouse_mirbase, ("mirbase.mature", "mirbase"), None
    for fact in curation.facts:
        for p in fact.pathways:
            yield p, ("GO",), "biological_process"
        if fact.carrier:
            yield fact.carrier, ("GO",), "cellular_component"
        for claim in fact.claims:
            if not claim.predicate.text.startswith("clasto:"):  # our own predicates are checked by the reader
                yield claim.predicate, ("RO",), None
            if claim.context:
                yield claim.context, ("CL", "UBERON"), None
            for ref in (claim.subject, claim.object):
                if ref.is_entity:
                    continue
                pred = claim.predicate.text
                if pred in model.SOURCE_PREDICATES or (ref is claim.object and pred == "RO:0002206"):
                    yield ref, ("CL", "UBERON"), None
                elif pred in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT and ref is claim.object:
                    yield ref, ("GO", "CHEBI"), "biological_process"
                else:
                    yield ref, ("GO", "CL", "UBERON", "CHEBI"), None
    for ev in curation.evidence.values():
        yield ev.eco, ("ECO",), None
        for taxon in ev.taxa:
            yield taxon, ("NCBITaxon",), None
        for site in ev.anatomy:
            yield site, ("UBERON",), None
        if ev.cell_manipulated:
            yield ev.cell_manipulated, ("CL",), None


def used_curies(curation: Curation) -> set[str]:
    """Every identifier the curation and the build use, for refreshing the term index."""
    used = set(BUILTIN_TERMS) | {p for p in model.CLAIM_PREDICATES if not p.startswith("clasto:")}
    used |= {ref.text for ref, _, _ in term_refs(curation)}
    for entity in curation.entities.values():
        if isinstance(entity, model.GeneProduct):
            used |= {entity.hgnc, f"uniprot:{entity.uniprot}"}
            if entity.mouse_uniprot:
                used.add(f"uniprot:{entity.mouse_uniprot}")
    return used


def check_identifiers(curation: Curation, index: TermIndex) -> list[Problem]:
    """All identifier problems in the curation, as a list (empty when everything checks out)."""
    problems: list[Problem] = []
    for ref, prefixes, namespace in term_refs(curation):
        problems += _check_term(ref, prefixes, namespace, index)
    for entity in curation.entities.values():
        if isinstance(entity, model.GeneProduct):
            problems += _check_gene(entity, index)
        elif isinstance(entity, model.MiRNA):
            problems += _check_mirna_taxon(entity, index)
    problems += _check_citations(curation)
    return problems


def _check_term(ref: Ref, prefixes: tuple[str, ...], namespace: str | None, index: TermIndex) -> list[Problem]:
    prefix = ref.text.split(":", 1)[0]
    if prefix not in prefixes:
        return [_ref_problem(ref, f"{ref.text}: expected an identifier from {' or '.join(prefixes)} here")]
    term = index.get(ref.text)
    if term is None:
        return [
            _ref_problem(
                ref,
                f"{ref.text} is not in the term index ({REFRESH_HINT}); "
                "if refresh does not find it either, the id does not exist",
            )
        ]
    problems = []
    if term.obsolete:
        hint = f"; use {term.replaced_by} ({_label(index, term.replaced_by)}) instead" if term.replaced_by else ""
        problems.append(_ref_problem(ref, f"{ref.text} ({term.label}) is obsolete{hint}"))
    if ref.label is not None and ref.label != term.label:
        problems.append(_ref_problem(ref, f"{ref.text} is labelled {term.label!r}, not {ref.label!r}"))
    if namespace and prefix == "GO" and term.namespace != namespace:
        problems.append(
            _ref_problem(
                ref, f"{ref.text} ({term.label}) is a GO {term.namespace} term; this slot takes a {namespace} term"
            )
        )
    return problems


def _label(index: TermIndex, curie: str) -> str:
    term = index.get(curie)
    return term.label if term else "label unknown"


def _check_gene(gene: model.GeneProduct, index: TermIndex) -> list[Problem]:
    loc = gene.loc
    out = []

    def problem(field: str, message: str) -> None:
        out.append(Problem(loc.file, loc.line, loc.record, field, message))

    record = index.get(gene.hgnc)
    if record is None:
        problem("hgnc", f"{gene.hgnc} is not in the term index ({REFRESH_HINT})")
        return out
    if record.obsolete:
        problem("hgnc", f"{gene.hgnc} ({record.label}) is withdrawn in HGNC")
    if record.label != gene.key:
        problem("key", f"the approved HGNC symbol of {gene.hgnc} is {record.label!r}, not {gene.key!r}")
    accession = f"uniprot:{gene.uniprot}"
    if accession not in record.xref("uniprot"):
        listed = ", ".join(x.split(":", 1)[1] for x in record.xref("uniprot")) or "none"
        problem("uniprot", f"{gene.uniprot} is not the UniProt accession HGNC gives for {gene.key} ({listed})")
    protein = index.get(accession)
    if protein is None:
        problem("uniprot", f"{gene.uniprot} is not a reviewed (Swiss-Prot) accession in the term index")
    elif protein.taxon != "NCBITaxon:9606":
        problem("uniprot", f"{gene.uniprot} is a {protein.taxon} entry; the canonical node is human")
    if gene.mouse_uniprot:
        mouse = index.get(f"uniprot:{gene.mouse_uniprot}")
        if mouse is None:
            problem(
                "mouse_uniprot", f"{gene.mouse_uniprot} is not a reviewed accession in the term index ({REFRESH_HINT})"
            )
        elif mouse.taxon != "NCBITaxon:10090":
            problem("mouse_uniprot", f"{gene.mouse_uniprot} ({mouse.label}) is not a mouse entry")
    return out


def _check_mirna_taxon(mirna: model.MiRNA, index: TermIndex) -> list[Problem]:
    out = []
    for ref, taxon in ((mirna.mirbase, "NCBITaxon:9606"), (mirna.mouse_mirbase, "NCBITaxon:10090")):
        if ref is None:
            continue
        term = index.get(ref.text)
        if term is not None and term.taxon != taxon:
            out.append(_ref_problem(ref, f"{ref.text} ({term.label}) is not a {taxon} miRNA"))
    return out


def _check_citations(curation: Curation) -> list[Problem]:
    by_pmid, by_doi = curation.bib_by_pmid(), curation.bib_by_doi()
    out = []
    for ev in curation.evidence.values():
        loc = ev.loc
        if ev.pmid and ev.pmid not in by_pmid and not ev.outside_bibliography:
            out.append(
                Problem(
                    loc.file,
                    loc.line,
                    loc.record,
                    "pmid",
                    f"PMID {ev.pmid} is not in the review's bibliography "
                    "(add `outside_bibliography: <why>` if citing it is deliberate)",
                )
            )
        if ev.doi:
            doi = ev.doi.lower()
            ref = by_doi.get(doi)
            if doi == model.REVIEW_DOI.lower():
                if ev.eco.text != "ECO:0000304":
                    out.append(
                        Problem(
                            loc.file,
                            loc.line,
                            loc.record,
                            "eco",
                            "evidence citing the review itself is ECO:0000304 (traceable author statement)",
                        )
                    )
            elif ref is None and not ev.outside_bibliography:
                out.append(
                    Problem(loc.file, loc.line, loc.record, "doi", f"DOI {ev.doi} is not in the review's bibliography")
                )
            elif ref is not None and ref.pmid:
                out.append(
                    Problem(
                        loc.file,
                        loc.line,
                        loc.record,
                        "doi",
                        f"{ref.label} has PMID {ref.pmid}: cite it as `pmid: {ref.pmid}`",
                    )
                )
    for fact in curation.facts:
        for key, notes in (("therapeutic_notes", fact.therapeutic_notes), ("biomarker_notes", fact.biomarker_notes)):
            for note in notes:
                for pmid in note.pmids:
                    if pmid not in by_pmid:
                        out.append(
                            Problem(
                                fact.loc.file,
                                fact.loc.line,
                                fact.id,
                                key,
                                f"PMID {pmid} is not in the review's bibliography",
                            )
                        )
                for doi in note.dois:
                    if doi.lower() not in by_doi and doi.lower() != model.REVIEW_DOI.lower():
                        out.append(
                            Problem(
                                fact.loc.file,
                                fact.loc.line,
                                fact.id,
                                key,
                                f"DOI {doi} is not in the review's bibliography",
                            )
                        )
    return out
