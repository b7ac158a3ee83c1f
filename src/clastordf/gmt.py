"""Gene sets in GMT format, for enrichment tools (GSEA, clusterProfiler, Enrichr, g:Profiler…).

GMT is one set per line, tab-separated: set name, description, then the members. Members are
human NCBI Gene ids, as in the WikiPathways and PFOCR GMT files, so our sets sit next to theirs.

Naming follows WikiPathways' ``Title%WikiPathways_YYYYMMDD%WPID%Homo sapiens``:

    {title}%clastordf_{version}%{set id}%Homo sapiens

e.g. ``Promotes osteoblast differentiation%clastordf_0.1.0%promotes:GO:0001649%Homo sapiens``;
tools that split WikiPathways names on ``%`` (clusterProfiler's ``read.gmt.wp``) read ours too.
The description column is, as WikiPathways' is, the IRI of what defines the set (the dataset,
the mechanism, the GO process), followed by a note on ligands that have no gene.

Sets, all from ``clasto:ClastokineFact``s (regulation facts are not signals and are left out):

* ``all``: every ligand and receptor;
* ``mechanism:{local name}``: ligands and receptors of the facts with that ``clasto:mechanism``;
* ``promotes:{GO CURIE}`` / ``inhibits:{GO CURIE}``: ligands and receptors of the facts that
  promote / inhibit that biological process.

Receptor complexes count as their subunits (``obo:BFO_0000051``); miRNAs count through the NCBI
Gene id of their ``skos:exactMatch``. Small-molecule ligands (ChEBI) have no gene and are not
replaced by the enzymes that make them (that would be a different claim): they are skipped, and
the description of each set they would be in says so. Order is deterministic: the ``all`` set,
mechanisms and processes by label, promotes before inhibits; ids in numeric order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from .vocab import CLASTO, DATASET_IRI, HAS_PART, HUMAN, IN_TAXON, OBO

IDENTIFIERS_ORG = "https://identifiers.org/"
NCBIGENE = IDENTIFIERS_ORG + "ncbigene/"
ORGANISM = "Homo sapiens"


@dataclass
class GeneSet:
    """One GMT line in the making: its id, title, defining IRI and members."""

    id: str
    title: str
    about: str
    entities: set[URIRef] = field(default_factory=set)


def _label(graph: Graph, term: URIRef) -> str:
    for prop in (SKOS.prefLabel, RDFS.label):
        label = graph.value(term, prop)
        if label is not None:
            return str(label)
    return _curie(term)


def _curie(term: URIRef) -> str:
    """``http://purl.obolibrary.org/obo/GO_0001649`` → ``GO:0001649``."""
    text = str(term)
    if text.startswith(str(OBO)):
        return text.removeprefix(str(OBO)).replace("_", ":", 1)
    if text.startswith(IDENTIFIERS_ORG):
        return text.removeprefix(IDENTIFIERS_ORG).replace("/", ":", 1)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _members(graph: Graph, fact: URIRef) -> set[URIRef]:
    """A fact's ligand and receptors, complexes expanded to their subunits."""
    out: set[URIRef] = set()
    todo = [o for p in (CLASTO.ligand, CLASTO.receptor) for o in graph.objects(fact, p) if isinstance(o, URIRef)]
    while todo:
        entity = todo.pop()
        parts = [o for o in graph.objects(entity, HAS_PART) if isinstance(o, URIRef)]
        if parts:
            todo.extend(p for p in parts if p not in out)
        else:
            out.add(entity)
    return out


def _genes(graph: Graph, entity: URIRef) -> list[int]:
    """The human NCBI Gene ids of an entity (none for chemicals and for non-human entities)."""
    taxa = set(graph.objects(entity, IN_TAXON))
    if taxa and HUMAN not in taxa:
        return []
    return sorted(int(str(m).removeprefix(NCBIGENE)) for m in graph.objects(entity, SKOS.exactMatch)
                  if str(m).startswith(NCBIGENE) and str(m).removeprefix(NCBIGENE).isdigit())


def _sets(graph: Graph) -> list[GeneSet]:
    facts = sorted(f for f in graph.subjects(RDF.type, CLASTO.ClastokineFact) if isinstance(f, URIRef))
    everything = GeneSet("all", "All clastokine ligands and receptors", DATASET_IRI)
    mechanisms: dict[URIRef, GeneSet] = {}
    processes: dict[tuple[str, URIRef], GeneSet] = {}
    for fact in facts:
        members = _members(graph, fact)
        everything.entities |= members
        for mech in graph.objects(fact, CLASTO.mechanism):
            if isinstance(mech, URIRef):
                mechanisms.setdefault(mech, GeneSet(
                    f"mechanism:{_curie(mech)}", f"Clastokine ligands and receptors, {_label(graph, mech)}",
                    str(mech))).entities |= members
        for verb, prop in (("promotes", CLASTO.promotes), ("inhibits", CLASTO.inhibits)):
            for go in graph.objects(fact, prop):
                if isinstance(go, URIRef):
                    processes.setdefault((verb, go), GeneSet(
                        f"{verb}:{_curie(go)}", f"{verb.capitalize()} {_label(graph, go)}",
                        str(go))).entities |= members
    ordered = sorted(mechanisms.values(), key=lambda s: (s.title.casefold(), s.id))
    ordered += sorted(processes.values(),
                      key=lambda s: (s.title.split(" ", 1)[1].casefold(), s.id.startswith("inhibits"), s.id))
    return [everything, *ordered]


def _line(graph: Graph, gene_set: GeneSet, version: str) -> str | None:
    genes: set[int] = set()
    skipped: dict[str, str] = {}
    for entity in sorted(gene_set.entities):
        ids = _genes(graph, entity)
        genes.update(ids)
        if not ids:
            skipped[_label(graph, entity)] = _curie(entity)
    if not genes:
        return None
    description = gene_set.about
    if skipped:
        ordered = sorted(skipped.items(), key=lambda kv: kv[0].casefold())
        names = ", ".join(f"{name} [{curie}]" for name, curie in ordered)
        description += f" (ligands without a human NCBI Gene id, not listed: {names})"
    name = f"{gene_set.title}%clastordf_{version}%{gene_set.id}%{ORGANISM}"
    return "\t".join([name, description, *(str(g) for g in sorted(genes))])


def gene_sets(graph: Graph, version: str) -> str:
    """The GMT text for the dataset ``graph`` at release ``version`` (empty sets are left out)."""
    lines = [line for s in _sets(graph) if (line := _line(graph, s, version)) is not None]
    return "".join(line + "\n" for line in lines)


def set_members(graph: Graph) -> dict[str, list[int]]:
    """Set id → NCBI Gene ids; the same sets as :func:`gene_sets`, for reports and checks."""
    out = {s.id: sorted({g for e in s.entities for g in _genes(graph, e)}) for s in _sets(graph)}
    return {k: v for k, v in out.items() if v}
