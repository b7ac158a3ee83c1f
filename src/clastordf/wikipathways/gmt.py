"""Gene sets in GMT format, for enrichment tools (GSEA, clusterProfiler, Enrichr, g:Profiler…).

GMT is one set per line, tab-separated: set name, description, then the members. Members are
human NCBI Gene ids, as in the WikiPathways and PFOCR GMT files, so our sets sit next to theirs.

Naming follows WikiPathways' ``Title%WikiPathways_YYYYMMDD%WPID%Homo sapiens``:

    {title}%clastordf_{version}%{set id}%Homo sapiens

e.g. ``Promotes osteoblast differentiation%clastordf_0.1.0%promotes:GO:0001649%Homo sapiens``;
tools that split WikiPathways names on ``%`` (clusterProfiler's ``read.gmt.wp``) read ours too.
The description column is, as WikiPathways' is, the IRI of what defines the set (the dataset,
the mechanism, the GO process), followed by a note on ligands that have no gene.

Sets, all from ``clasto:ClastokineFact``s that go from an osteoclast-lineage cell to an
osteoblast-lineage cell (regulation facts are not signals; reverse signals, osteoblast to
osteoclast, and autocrine signals are not osteoclast-to-osteoblast communication and are left out):

* ``all``: every ligand and receptor;
* ``mechanism:{local name}``: ligands and receptors of the facts with that ``clasto:mechanism``;
* ``promotes:{GO CURIE}`` / ``inhibits:{GO CURIE}``: ligands and receptors of the facts that
  promote / inhibit that biological process on settled (uncontested) claims;
* ``contested-promotes:{GO CURIE}`` / ``contested-inhibits:{GO CURIE}``: the same where the claim is
  contested (some study disputes it), titled "… (contested)".

A fact is contested when a study disputes one of its claims (its source, say): the description of
every set holding such a fact's genes names those facts, so a contested link is never unflagged.
Receptor complexes count as their subunits (``obo:BFO_0000051``); miRNAs count through the NCBI
Gene id of the gene they are a product of (``RO:0002204``). Small-molecule ligands (ChEBI) have no gene and are not
replaced by the enzymes that make them (that would be a different claim): they are skipped, and
the description of each set they would be in says so. Order is deterministic: the ``all`` set,
mechanisms and processes by label, promotes before inhibits; ids in numeric order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ..vocab import CLASTO, DATASET_IRI, GENE_PRODUCT_OF, HAS_PART, HUMAN, IN_TAXON, NAMESPACES, OBO, compress

NCBIGENE = NAMESPACES["ncbigene"]
ORGANISM = "Homo sapiens"


@dataclass
class GeneSet:
    """One GMT line in the making: its id, title, defining IRI and members."""

    id: str
    title: str
    about: str
    entities: set[URIRef] = field(default_factory=set)
    #: contested facts whose genes are in the set
    contested: set[URIRef] = field(default_factory=set)

    def add(self, members: set[URIRef], fact: URIRef, contested: bool) -> None:
        self.entities |= members
        if contested:
            self.contested.add(fact)


def _label(graph: Graph, term: URIRef) -> str:
    for prop in (SKOS.prefLabel, RDFS.label):
        label = graph.value(term, prop)
        if label is not None:
            return str(label)
    return _curie(term)


def _curie(term: URIRef) -> str:
    """``http://purl.obolibrary.org/obo/GO_0001649`` → ``GO:0001649``; a ``clasto:`` term is its local
    name (the set ``mechanism:Secreted``); a term with no CURIE keeps its IRI."""
    if term.startswith(CLASTO):
        return term.removeprefix(CLASTO)
    return compress(str(term)) or str(term)


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
    links = [*graph.objects(entity, SKOS.exactMatch), *graph.objects(entity, GENE_PRODUCT_OF)]
    return sorted(
        int(str(m).removeprefix(NCBIGENE))
        for m in links
        if str(m).startswith(NCBIGENE) and str(m).removeprefix(NCBIGENE).isdigit()
    )


#: The lineages when the graph carries no ontology (CL osteoclast, mononuclear osteoclast; MSC, marrow
#: stromal cell, preosteoblast, osteoblast, osteocyte), as clastordf-edit.ttl defines them.
_OC_LINEAGE = ("CL_0000092", "CL_0000778")
_OB_LINEAGE = ("CL_0000134", "CL_0010001", "CL_0007010", "CL_0000062", "CL_0000137")


def _lineage(graph: Graph, cls: URIRef, fallback: tuple[str, ...]) -> set[URIRef]:
    members: set[URIRef] = set()
    for expr in graph.objects(cls, OWL.equivalentClass):
        for head in graph.objects(expr, OWL.unionOf):
            members |= {m for m in graph.items(head) if isinstance(m, URIRef)}
    return members or {OBO[c] for c in fallback}


def _is_coupling_signal(graph: Graph, fact: URIRef, oc: set[URIRef], ob: set[URIRef]) -> bool:
    """From an osteoclast-lineage cell (settled or contested source) to an osteoblast-lineage cell."""
    sources = {*graph.objects(fact, CLASTO.sourceCellType), *graph.objects(fact, CLASTO.contestedSourceCellType)}
    return bool(sources & oc) and bool(set(graph.objects(fact, CLASTO.targetCellType)) & ob)


def _contested(graph: Graph, fact: URIRef) -> bool:
    return any(v.toPython() is True for v in graph.objects(fact, CLASTO.contested) if isinstance(v, Literal))


def _sets(graph: Graph) -> list[GeneSet]:
    oc = _lineage(graph, CLASTO.OsteoclastLineageCell, _OC_LINEAGE)
    ob = _lineage(graph, CLASTO.OsteoblastLineageCell, _OB_LINEAGE)
    facts = sorted(
        f
        for f in graph.subjects(RDF.type, CLASTO.ClastokineFact)
        if isinstance(f, URIRef) and _is_coupling_signal(graph, f, oc, ob)
    )
    everything = GeneSet("all", "All osteoclast-to-osteoblast signal ligands and receptors", DATASET_IRI)
    mechanisms: dict[URIRef, GeneSet] = {}
    processes: dict[tuple[str, URIRef], GeneSet] = {}
    for fact in facts:
        members, contested = _members(graph, fact), _contested(graph, fact)
        everything.add(members, fact, contested)
        for mech in graph.objects(fact, CLASTO.mechanism):
            if isinstance(mech, URIRef):
                mechanisms.setdefault(
                    mech,
                    GeneSet(
                        f"mechanism:{_curie(mech)}",
                        f"Osteoclast-to-osteoblast signal ligands and receptors, {_label(graph, mech)}",
                        str(mech),
                    ),
                ).add(members, fact, contested)
        for verb, prop, flagged in (
            ("promotes", CLASTO.promotes, False),
            ("inhibits", CLASTO.inhibits, False),
            ("promotes", CLASTO.contestedPromotes, True),
            ("inhibits", CLASTO.contestedInhibits, True),
        ):
            for go in graph.objects(fact, prop):
                if isinstance(go, URIRef):
                    key = f"contested-{verb}" if flagged else verb
                    title = f"{verb.capitalize()} {_label(graph, go)}" + (" (contested)" if flagged else "")
                    processes.setdefault((key, go), GeneSet(f"{key}:{_curie(go)}", title, str(go))).add(
                        members, fact, contested or flagged
                    )
    ordered = sorted(mechanisms.values(), key=lambda s: (s.title.casefold(), s.id))
    ordered += sorted(
        processes.values(),
        key=lambda s: (s.title.split(" ", 1)[1].casefold(), "inhibits" in s.id, s.id.startswith("contested"), s.id),
    )
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
    if gene_set.contested:
        facts = ", ".join(_curie(f) for f in sorted(gene_set.contested))
        description += f" (contested: some study disputes a claim of {facts})"
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
