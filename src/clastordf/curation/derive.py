"""Derive the fact-level summary layer from the curated claims and evidence lines.

Curators edit claims and evidence; everything a fact states in one hop (source, producing and target
cells, receptors, promoted and inhibited processes, taxa, references, evidence level, contest) is
computed here, never hand-kept. Three things are kept apart (see ``curation/RULES.md``):

- the review's **category** of the mechanism is curated (``review_category:``) and copied as it is;
- the **evidence level** of a claim is computed from its supporting lines by one rule
  (:func:`evidence_level`), and a fact's level from its effect claims (:func:`fact_evidence_level`);
- a claim is **contested** when some line disputes it; a fact when any of its claims is.

Only *supporting* lines count as support: fact-level taxa and references come from them, and a
disputing study is published as a disputing reference. Values of contested claims go to the
``contested…`` twins of the one-hop properties, so that a plain query (and the defined classes the
reasoner fills in) never presents a contested point as settled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..problems import Problem
from . import model
from .model import Claim, Curation, Evidence, Fact


@dataclass
class Derived:
    """The fact-level values of one fact (CURIEs or entity keys, sorted, unique).

    ``source_cells`` is where the ligand comes from (it produces it, or releases it from the bone
    matrix); ``producing_cells`` and ``releasing_cells`` say which. The ``contested_*`` lists hold
    the values that only contested claims state.
    """

    source_cells: list[str] = field(default_factory=list)
    producing_cells: list[str] = field(default_factory=list)
    releasing_cells: list[str] = field(default_factory=list)
    target_cells: list[str] = field(default_factory=list)
    receptors: list[str] = field(default_factory=list)
    promotes: list[str] = field(default_factory=list)
    inhibits: list[str] = field(default_factory=list)
    upregulates: list[str] = field(default_factory=list)
    downregulates: list[str] = field(default_factory=list)
    cell_types: list[str] = field(default_factory=list)
    contested_source_cells: list[str] = field(default_factory=list)
    contested_receptors: list[str] = field(default_factory=list)
    contested_promotes: list[str] = field(default_factory=list)
    contested_inhibits: list[str] = field(default_factory=list)
    contested_upregulates: list[str] = field(default_factory=list)
    contested_downregulates: list[str] = field(default_factory=list)
    #: taxa and systems of the supporting lines only
    taxa: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    anatomy: list[str] = field(default_factory=list)
    pmids: list[str] = field(default_factory=list)
    dois: list[str] = field(default_factory=list)
    disputing_pmids: list[str] = field(default_factory=list)
    disputing_dois: list[str] = field(default_factory=list)
    #: claim id -> its evidence level (the override when a curator gave one)
    claim_levels: dict[str, str] = field(default_factory=dict)
    #: claim id -> the level the rule computes (differs from claim_levels only under an override)
    computed_levels: dict[str, str] = field(default_factory=dict)
    evidence_level: str = ""
    contested: bool = False
    #: the fact's genes are human nodes but no supporting line is human: human by orthology
    human_by_orthology: bool = False
    #: non-human taxa of the supporting lines for which the ligand has a node of that species
    studied_taxa: list[str] = field(default_factory=list)


HUMAN = "NCBITaxon:9606"


def evidence_level(lines: Iterable[Evidence]) -> str:
    """The evidence level of a claim from its supporting lines: the one written rule.

    - ``InVivoSupport``: at least one line from an in vivo system (animal, knockout, conditional
      knockout) or from human tissue or a clinical study;
    - ``InVitroOnly``: experimental lines, none of them in vivo or human;
    - ``AuthorStatementOnly``: nothing but statements of a review (system ``LiteratureReview``).

    >>> from clastordf.curation.model import Evidence, Loc, Ref
    >>> loc = Loc("f", 1, "E1"); eco = Ref("ECO:0000314", None, "eco", loc)
    >>> line = lambda system: Evidence("E1", eco, system, [], "1", None, None, None, loc)
    >>> evidence_level([line("InVitro"), line("InVivoKnockout")])
    'InVivoSupport'
    >>> evidence_level([line("InVitro"), line("LiteratureReview")])
    'InVitroOnly'
    >>> evidence_level([line("LiteratureReview")])
    'AuthorStatementOnly'
    """
    systems = {ev.system for ev in lines}
    if systems & set(model.IN_VIVO_SYSTEMS):
        return "InVivoSupport"
    if systems - {"LiteratureReview"}:
        return "InVitroOnly"
    return "AuthorStatementOnly"


def _rank(level: str) -> int:
    return model.EVIDENCE_LEVELS.index(level) if level in model.EVIDENCE_LEVELS else len(model.EVIDENCE_LEVELS)


def is_effect_claim(fact: Fact, claim: Claim) -> bool:
    """Whether the claim states the fact's effect: what the one-hop promotes/inhibits (or, for a
    regulation fact, upregulates/downregulates) come from."""
    if claim.subject.text != fact.agent.text:
        return False
    pred = claim.predicate.text
    if pred not in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT:
        return False
    return fact.type != "ClastokineFact" or claim.object.text.startswith("GO:")


def fact_evidence_level(fact: Fact, levels: dict[str, str]) -> str:
    """A fact's level: the strongest level among its uncontested effect claims, or, when every effect
    claim is contested, the strongest among those (the fact is then contested too)."""
    effects = [c for c in fact.claims if is_effect_claim(fact, c)] or fact.claims
    settled = [c for c in effects if not c.contested] or effects
    return min((levels[c.id] for c in settled if c.id in levels), key=_rank, default="AuthorStatementOnly")


def derive_fact(fact: Fact, curation: Curation) -> Derived:
    """The derived layer of one fact.

    Only claims whose subject is the fact's ligand (or regulator) feed the one-hop values; claims on
    other subjects (a regulator of the ligand, a receptor's partner) stay on the claim nodes.
    """
    d: dict[str, set[str]] = {k: set() for k, f in Derived.__dataclass_fields__.items() if f.type == "list[str]"}
    out = Derived()
    agent = fact.agent.text
    for claim in fact.claims:
        support = [curation.evidence[e] for e in claim.supported_by if e in curation.evidence]
        for ev in support:
            d["taxa"].update(t.text for t in ev.taxa)
            d["systems"].add(ev.system)
            d["anatomy"].update(a.text for a in ev.anatomy)
            if ev.pmid:
                d["pmids"].add(ev.pmid)
            elif ev.doi:
                d["dois"].add(ev.doi)
        for eid in claim.disputed_by:
            against = curation.evidence.get(eid)
            if against is not None and against.pmid:
                d["disputing_pmids"].add(against.pmid)
            elif against is not None and against.doi:
                d["disputing_dois"].add(against.doi)
        computed = evidence_level(support)
        out.computed_levels[claim.id] = computed
        out.claim_levels[claim.id] = claim.level_override or computed
        if claim.subject.text != agent:
            continue
        pred, obj = claim.predicate.text, claim.object.text
        ctx = claim.context.text if claim.context else None
        twin = "contested_" if claim.contested else ""
        if fact.type == "ClastokineFact":
            if pred in model.SOURCE_PREDICATES:
                d[twin + "source_cells"].add(obj)
                if not claim.contested:
                    d["producing_cells" if pred == model.PRODUCED_BY else "releasing_cells"].add(obj)
            elif pred in model.RECEPTOR_PREDICATES and claim.object.is_entity:
                d[twin + "receptors"].add(obj)
                if ctx:
                    d["target_cells"].add(ctx)
            elif is_effect_claim(fact, claim):
                d[twin + ("promotes" if pred in model.POSITIVE_EFFECT else "inhibits")].add(obj)
                if ctx:
                    d["target_cells"].add(ctx)
        elif pred in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT:
            d[twin + ("upregulates" if pred in model.POSITIVE_EFFECT else "downregulates")].add(obj)
            if ctx:
                d["cell_types"].add(ctx)
    for key, values in d.items():
        setattr(out, key, sorted(values))
    out.evidence_level = fact_evidence_level(fact, out.claim_levels)
    out.contested = any(c.contested for c in fact.claims)
    entity = curation.entities.get(agent)
    genes = isinstance(entity, model.GeneProduct | model.MiRNA)
    out.human_by_orthology = genes and bool(out.taxa) and HUMAN not in out.taxa
    if isinstance(entity, model.GeneProduct) and entity.mouse_uniprot:
        out.studied_taxa = [t for t in out.taxa if t == "NCBITaxon:10090"]
    elif isinstance(entity, model.MiRNA) and entity.mouse_mirbase:
        out.studied_taxa = [t for t in out.taxa if t == "NCBITaxon:10090"]
    return out


def derive_all(curation: Curation) -> dict[str, Derived]:
    return {fact.id: derive_fact(fact, curation) for fact in curation.facts}


def check_facts(curation: Curation, derived: dict[str, Derived]) -> list[Problem]:
    """Rules over whole facts: what a fact must state (settled or contested)."""
    out = []
    for fact in curation.facts:
        d = derived[fact.id]

        def problem(field: str, message: str, fact: Fact = fact) -> None:
            out.append(Problem(fact.loc.file, fact.loc.line, fact.id, field, message))

        if fact.type == "ClastokineFact":
            if not (d.source_cells or d.contested_source_cells):
                problem(
                    "claims",
                    "no `RO:0003001 ! produced by` (or `clasto:releasedFromMatrixBy`) claim on the "
                    "ligand: the cell it comes from is unknown",
                )
            if not d.target_cells:
                problem("claims", "no receptor or effect claim with a `context:` cell type: the target cell is unknown")
            if not (d.promotes or d.inhibits or d.contested_promotes or d.contested_inhibits):
                problem("claims", "no effect claim (acts upstream of / regulates a GO process) on the ligand")
            if fact.mechanism == "MatrixDerived" and any(
                c.predicate.text == model.PRODUCED_BY
                and c.subject.text == fact.agent.text
                and c.object.text in OSTEOCLAST_LINEAGE
                for c in fact.claims
            ):
                problem(
                    "claims",
                    "a matrix-derived factor is not produced by the resorbing osteoclast: "
                    "write `clasto:releasedFromMatrixBy`",
                )
            if d.releasing_cells and fact.mechanism != "MatrixDerived":
                problem("mechanism", "`clasto:releasedFromMatrixBy` is for matrix-derived facts")
        else:
            if not (d.upregulates or d.downregulates or d.contested_upregulates or d.contested_downregulates):
                problem("claims", "a RegulationFact needs a positive or negative regulation claim on the regulator")
        if fact.type == "ClastokineFact" and fact.mechanism == "VesicleMediated" and fact.carrier is None:
            problem("carrier", "a vesicle-mediated fact names its carrier (a GO cellular component)")
        if fact.type == "ClastokineFact" and set(d.source_cells + d.contested_source_cells) & set(OSTEOCLAST_LINEAGE):
            for claim in fact.claims:
                support = [curation.evidence[e] for e in claim.supported_by if e in curation.evidence]
                if support and all(
                    ev.cell_manipulated and ev.cell_manipulated.text in OSTEOBLAST_LINEAGE for ev in support
                ):
                    out.append(
                        Problem(
                            claim.loc.file,
                            claim.loc.line,
                            fact.id,
                            f"claims[{claim.id}].supported_by",
                            "an osteoclast signal's claim rests only on studies that manipulated "
                            "osteoblast-lineage cells: that is an osteoblast-intrinsic fact",
                        )
                    )
    return out


#: CL terms of the osteoclast lineage (osteoclast, mononuclear osteoclast) and of the osteoblast
#: lineage (MSC, bone-marrow MSC, marrow stromal cell, preosteoblast, osteoblast, osteocyte), as
#: ontology/clastordf-edit.ttl defines the lineages.
OSTEOCLAST_LINEAGE = ("CL:0000092", "CL:0000778")
OSTEOBLAST_LINEAGE = ("CL:0000134", "CL:0002540", "CL:0010001", "CL:0007010", "CL:0000062", "CL:0000137")
