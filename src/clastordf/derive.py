"""Derive the fact-level summary layer from the curated claims and evidence lines.

Curators edit claims and evidence; everything a fact states in one hop (producing and target cells,
receptors, promoted and inhibited processes, taxa, references) is computed here, never hand-kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import model
from .model import Curation, Fact
from .problems import Problem


@dataclass
class Derived:
    """The fact-level values of one fact (CURIEs or entity keys, sorted, unique)."""

    producing_cells: list[str] = field(default_factory=list)
    target_cells: list[str] = field(default_factory=list)
    receptors: list[str] = field(default_factory=list)
    promotes: list[str] = field(default_factory=list)
    inhibits: list[str] = field(default_factory=list)
    upregulates: list[str] = field(default_factory=list)
    downregulates: list[str] = field(default_factory=list)
    cell_types: list[str] = field(default_factory=list)
    taxa: list[str] = field(default_factory=list)
    pmids: list[str] = field(default_factory=list)
    dois: list[str] = field(default_factory=list)


def _is_go(text: str) -> bool:
    return text.startswith("GO:")


def derive_fact(fact: Fact, curation: Curation) -> Derived:
    """The derived layer of one fact.

    Only claims whose subject is the fact's ligand (or regulator) feed the summary.
    """
    d: dict[str, set[str]] = {k: set() for k in Derived.__dataclass_fields__}
    agent = fact.agent.text
    for claim in fact.claims:
        ev_ids = claim.supported_by + claim.disputed_by
        for eid in ev_ids:
            ev = curation.evidence.get(eid)
            if ev is None:
                continue
            d["taxa"].update(t.text for t in ev.taxa)
            if ev.pmid:
                d["pmids"].add(ev.pmid)
            elif ev.doi:
                d["dois"].add(ev.doi)
        if claim.subject.text != agent:
            continue
        pred, obj = claim.predicate.text, claim.object.text
        ctx = claim.context.text if claim.context else None
        if fact.type == "ClastokineFact":
            if pred == model.PRODUCED_BY:
                d["producing_cells"].add(obj)
            elif pred in model.RECEPTOR_PREDICATES and claim.object.is_entity:
                d["receptors"].add(obj)
                if ctx:
                    d["target_cells"].add(ctx)
            elif pred in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT and _is_go(obj):
                d["promotes" if pred in model.POSITIVE_EFFECT else "inhibits"].add(obj)
                if ctx:
                    d["target_cells"].add(ctx)
        elif pred in model.POSITIVE_EFFECT + model.NEGATIVE_EFFECT:
            d["upregulates" if pred in model.POSITIVE_EFFECT else "downregulates"].add(obj)
            if ctx:
                d["cell_types"].add(ctx)
    return Derived(**{k: sorted(v) for k, v in d.items()})


def derive_all(curation: Curation) -> dict[str, Derived]:
    return {fact.id: derive_fact(fact, curation) for fact in curation.facts}


def check_facts(curation: Curation, derived: dict[str, Derived]) -> list[Problem]:
    """Rules over whole facts: what a fact must state, and status consistency."""
    out = []
    for fact in curation.facts:
        d = derived[fact.id]

        def problem(field: str, message: str, fact: Fact = fact) -> None:
            out.append(Problem(fact.loc.file, fact.loc.line, fact.id, field, message))

        if fact.type == "ClastokineFact":
            if not d.producing_cells:
                problem("claims", "no `RO:0003001 ! produced by` claim on the ligand: the producing cell is unknown")
            if not d.target_cells:
                problem("claims", "no receptor or effect claim with a `context:` cell type: the target cell is unknown")
            if not (d.promotes or d.inhibits):
                problem("claims", "no effect claim (acts upstream of / regulates a GO process) on the ligand")
        else:
            if not (d.upregulates or d.downregulates):
                problem("claims", "a RegulationFact needs a positive or negative regulation claim on the regulator")
        has_dispute = any(c.disputed_by for c in fact.claims)
        if fact.status == "Controversial" and not has_dispute:
            problem("status", "a Controversial fact needs a claim with disputed_by evidence")
        if any(c.status == "Controversial" for c in fact.claims) and fact.status != "Controversial":
            problem("status", f"the fact holds a Controversial claim, so it is Controversial, not {fact.status}")
        for claim in fact.claims:
            if claim.disputed_by and claim.status != "Controversial":
                out.append(Problem(claim.loc.file, claim.loc.line, fact.id, f"claims[{claim.id}].status",
                                   "a claim with disputing evidence is Controversial"))
        if fact.type == "ClastokineFact" and fact.mechanism == "VesicleMediated" and fact.carrier is None:
            problem("carrier", "a vesicle-mediated fact names its carrier (a GO cellular component)")
    return out
