"""What the HTML pages show, read from the store into small view objects.

The vocabulary IRIs are the data's own (``clastordf.vocab``): they name the model, whatever base this
server answers for (``ServerConfig.base`` only decides which IRIs dereference here and how links look).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...vocab import BIOLINK, CLASTO, NAMESPACES, REVIEW_IRI, WIKIPATHWAYS, sparql_prefixes
from ..linkeddata import DCTERMS as DCTERMS_NS
from ..linkeddata import LABEL, RDF_TYPE, RDFS, Site, web_url
from ..linkeddata import OBO as OBO_NS

C = str(CLASTO)
REVIEW = str(REVIEW_IRI)
PUBMED = NAMESPACES["pubmed"]
PATHWAY = WIKIPATHWAYS  # WikiPathways pathways, which entities link with rdfs:seeAlso
RDF = NAMESPACES["rdf"]
OWL = NAMESPACES["owl"]
PROV = NAMESPACES["prov"]
IN_TAXON = OBO_NS + "RO_0002162"
HAS_PART = OBO_NS + "BFO_0000051"
ORTHOLOG = OBO_NS + "RO_HOM0000017"
DEFINITION = OBO_NS + "IAO_0000115"
COMPLEX = OBO_NS + "GO_0032991"
CONTEXT = str(BIOLINK) + "anatomical_context_qualifier"
FACT_TYPES = (C + "ClastokineFact", C + "RegulationFact")
GENE_PRODUCT_OF = OBO_NS + "RO_0002204"
MATURE_MIRNA = OBO_NS + "SO_0000276"
PRE_MIRNA = OBO_NS + "SO_0001244"
#: The evidence levels, strongest first (``clasto:EvidenceLevelScheme``).
EVIDENCE_LEVELS = (C + "InVivoSupport", C + "InVitroOnly", C + "AuthorStatementOnly")
REVIEW_ARTICLE = "https://elifesciences.org/articles/95083"

#: Resolvers for cross-references, so an identifier links to the database's own page.
RESOLVERS = {
    NAMESPACES["ncbigene"]: "https://www.ncbi.nlm.nih.gov/gene/{}",
    NAMESPACES["hgnc"]: "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:{}",
    NAMESPACES["ensembl"]: "https://www.ensembl.org/id/{}",
    NAMESPACES["mgi"]: "https://www.informatics.jax.org/marker/{}",
    NAMESPACES["uniprot"]: "https://www.uniprot.org/uniprotkb/{}",
    NAMESPACES["pubmed"]: "https://pubmed.ncbi.nlm.nih.gov/{}/",
    NAMESPACES["mirbase.mature"]: "https://www.mirbase.org/mature/{}",
    NAMESPACES["mirbase"]: "https://www.mirbase.org/hairpin/{}",
}


def resolver_url(iri: str) -> str | None:
    """The database page of an identifiers.org IRI (the IRI itself resolves too, one hop slower);
    another IRI itself if it is an http(s) URL, else ``None`` (nothing to link to)."""
    for prefix, pattern in RESOLVERS.items():
        if iri.startswith(prefix):
            return pattern.format(iri[len(prefix) :])
    return web_url(iri)


def local_id(iri: str) -> str:
    """The last path or fragment segment of an IRI (``…/fact/CF0200`` -> ``CF0200``)."""
    return re.split(r"[/#]", iri.rstrip("/"))[-1]


def is_true(value: str | None) -> bool:
    """An ``xsd:boolean`` literal's value as read from the store (``true``/``1``; some stores write
    booleans as ``1``).

    >>> is_true("true"), is_true("1"), is_true("false"), is_true(None)
    (True, True, False, False)
    """
    return value is not None and value.strip().lower() in ("true", "1")


def one_iri(site: Site, iri: str, predicate: str) -> str | None:
    values = site.iris(iri, predicate)
    return values[0] if values else None


@dataclass
class Publication:
    """A cited study with the links a reader wants (PubMed, DOI)."""

    iri: str
    label: str
    title: str | None
    date: str | None
    pmid: str | None
    doi: str | None

    @property
    def pubmed_url(self) -> str | None:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else None

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None


def publication(site: Site, iri: str) -> Publication:
    """A publication node: PMID from its identifiers.org IRI, DOI from ``owl:sameAs`` or ``dcterms:identifier``."""
    pmid = iri[len(PUBMED) :] if iri.startswith(PUBMED) else None
    doi = None
    if iri.startswith("https://doi.org/"):
        doi = iri[len("https://doi.org/") :]
    for same in site.iris(iri, OWL + "sameAs"):
        if same.startswith("https://doi.org/"):
            doi = same[len("https://doi.org/") :]
    ident = site.literal(iri, DCTERMS_NS + "identifier")
    if doi is None and ident and ident.startswith("doi:"):
        doi = ident[4:]
    return Publication(
        iri, site.label(iri), site.literal(iri, DCTERMS_NS + "title"), site.literal(iri, DCTERMS_NS + "date"), pmid, doi
    )


@dataclass
class Evidence:
    """An evidence line as shown under a claim or on its own page."""

    iri: str
    id: str
    evidence_type: list[str]
    systems: list[str]
    taxa: list[str]
    comment: str | None
    sources: list[Publication]
    knowledge_level: str | None = None
    agent_type: str | None = None
    sites: list[str] = field(default_factory=list)


def evidence(site: Site, iri: str) -> Evidence:
    return Evidence(
        iri,
        local_id(iri),
        site.iris(iri, C + "evidenceType"),
        site.iris(iri, C + "experimentalSystem"),
        site.iris(iri, IN_TAXON),
        site.literal(iri, RDFS + "comment"),
        [publication(site, p) for p in site.iris(iri, DCTERMS_NS + "source")],
        site.literal(iri, str(BIOLINK) + "knowledge_level"),
        site.literal(iri, str(BIOLINK) + "agent_type"),
        site.iris(iri, C + "anatomicalSite"),
    )


@dataclass
class Claim:
    """A reified claim with its supporting and disputing evidence.

    ``evidence_level`` is the published level; when a curator overrode it, ``computed_level`` is what
    the build's rule gives and ``level_reason`` the curator's reason. ``contested``: some evidence line
    disputes the claim."""

    iri: str
    id: str
    subject: str | None
    predicate: str | None
    object: str | None
    context: list[str]
    evidence_level: str | None
    computed_level: str | None
    level_reason: str | None
    contested: bool
    comment: str | None
    supporting: list[Evidence]
    disputing: list[Evidence]
    facts: list[str] = field(default_factory=list)

    @property
    def overridden(self) -> bool:
        """Whether a curator set the level (with a reason) instead of the rule."""
        return self.computed_level is not None or self.level_reason is not None


def claim(site: Site, iri: str) -> Claim:
    def one(p: str) -> str | None:
        return one_iri(site, iri, p)

    disputing = [evidence(site, e) for e in site.iris(iri, C + "disputedBy")]
    return Claim(
        iri,
        local_id(iri),
        one(RDF + "subject"),
        one(RDF + "predicate"),
        one(RDF + "object"),
        site.iris(iri, CONTEXT),
        one(C + "evidenceLevel"),
        one(C + "computedEvidenceLevel"),
        site.literal(iri, C + "evidenceLevelReason"),
        is_true(site.literal(iri, C + "contested")) or bool(disputing),
        site.literal(iri, RDFS + "comment"),
        [evidence(site, e) for e in site.iris(iri, C + "supportedBy")],
        disputing,
        site.subjects(C + "hasClaim", iri),
    )


@dataclass
class SourceLocation:
    """Where in the review a fact comes from (``table1-row5``, ``s8``, ``fig2``), with a link to it."""

    name: str
    url: str


@dataclass
class Fact:
    """Everything the fact page shows. Multi-valued fields are lists of IRIs.

    The one-hop values (``producing``, ``receptors``, ``promotes`` …) are the settled ones; values that
    only contested claims state are in the ``contested_*`` lists. ``references`` are the supporting
    publications, ``disputing_references`` those that dispute a claim of the fact."""

    iri: str
    id: str
    kind: str
    label: str | None
    comment: str | None
    ligand: list[str]
    ligand_form: str | None
    regulator: list[str]
    mechanism: list[str]
    sources: list[str]
    producing: list[str]
    releasing: list[str]
    targets: list[str]
    cell_types: list[str]
    receptors: list[str]
    promotes: list[str]
    inhibits: list[str]
    upregulates: list[str]
    downregulates: list[str]
    contested_sources: list[str]
    contested_receptors: list[str]
    contested_promotes: list[str]
    contested_inhibits: list[str]
    contested_upregulates: list[str]
    contested_downregulates: list[str]
    pathways: list[str]
    carrier: list[str]
    phases: list[str]
    review_category: str | None
    evidence_level: str | None
    contested: bool
    human_by_orthology: bool
    studied_ligand: list[str]
    inferred: list[str]
    taxa: list[str]
    therapeutic: list[str]
    biomarker: list[str]
    derived_from: list[str]
    source_locations: list[SourceLocation]
    references: list[Publication]
    disputing_references: list[Publication]
    claims: list[Claim]

    @property
    def contested_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.contested]

    @property
    def overridden_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.overridden]


def is_fact(site: Site, iri: str) -> bool:
    return bool(site.types(iri) & set(FACT_TYPES))


def fact(site: Site, iri: str) -> Fact:
    def iris(p: str) -> list[str]:
        return site.iris(iri, C + p)

    types = site.types(iri)
    locations = [
        SourceLocation(loc, f"{REVIEW_ARTICLE}#{loc.split('-row', 1)[0]}")
        for loc in sorted(site.literals(iri, C + "sourceLocation"))
    ]
    claims = [claim(site, c) for c in sorted(iris("hasClaim"), key=_claim_order)]
    return Fact(
        iri=iri,
        id=local_id(iri),
        kind="regulation" if C + "RegulationFact" in types else "clastokine",
        label=site.literal(iri, LABEL),
        comment=site.literal(iri, RDFS + "comment"),
        ligand=iris("ligand"),
        ligand_form=site.literal(iri, C + "ligandForm"),
        regulator=iris("regulator"),
        mechanism=iris("mechanism"),
        sources=iris("sourceCellType"),
        producing=iris("producingCellType"),
        releasing=iris("releasingCellType"),
        targets=iris("targetCellType"),
        cell_types=iris("cellType"),
        receptors=iris("receptor"),
        promotes=iris("promotes"),
        inhibits=iris("inhibits"),
        upregulates=iris("upregulates"),
        downregulates=iris("downregulates"),
        contested_sources=iris("contestedSourceCellType"),
        contested_receptors=iris("contestedReceptor"),
        contested_promotes=iris("contestedPromotes"),
        contested_inhibits=iris("contestedInhibits"),
        contested_upregulates=iris("contestedUpregulates"),
        contested_downregulates=iris("contestedDownregulates"),
        pathways=iris("pathway"),
        carrier=iris("carrier"),
        phases=iris("remodelingPhase"),
        review_category=one_iri(site, iri, C + "reviewCategory"),
        evidence_level=one_iri(site, iri, C + "evidenceLevel"),
        contested=is_true(site.literal(iri, C + "contested")) or any(c.contested for c in claims),
        human_by_orthology=is_true(site.literal(iri, C + "humanByOrthology")),
        studied_ligand=iris("studiedLigand"),
        inferred=iris("inferredType"),
        taxa=site.iris(iri, IN_TAXON),
        therapeutic=site.literals(iri, C + "therapeuticNote"),
        biomarker=site.literals(iri, C + "biomarkerNote"),
        derived_from=site.iris(iri, PROV + "wasDerivedFrom"),
        source_locations=locations,
        references=[publication(site, p) for p in site.iris(iri, DCTERMS_NS + "references")],
        disputing_references=[publication(site, p) for p in iris("disputingReference")],
        claims=claims,
    )


def _claim_order(iri: str) -> tuple[str, int]:
    """``…-c2`` before ``…-c10``."""
    head, _, n = iri.rpartition("-c")
    return (head, int(n)) if n.isdigit() else (iri, 0)


# -- facts list ----------------------------------------------------------------------------------


@dataclass
class FactRow:
    """One row of the facts list (and of its JSON / CSV twins).

    ``sources`` are the settled source cell types (producing or releasing), ``contested_sources``
    those only contested claims state; a regulation fact's ``clasto:cellType`` counts as its targets."""

    iri: str
    id: str
    kind: str
    label: str
    agent: list[str]
    mechanism: list[str]
    review_category: list[str]
    evidence_level: list[str]
    contested: bool
    sources: list[str]
    contested_sources: list[str]
    producing: list[str]
    releasing: list[str]
    targets: list[str]
    inferred: list[str]

    @property
    def cells(self) -> set[str]:
        return set(self.sources) | set(self.contested_sources) | set(self.targets)


def fact_rows(site: Site) -> list[FactRow]:
    """Every fact, ordered by id."""
    rows = []
    for kind, cls in (("clastokine", C + "ClastokineFact"), ("regulation", C + "RegulationFact")):
        for iri in site.subjects(RDF_TYPE, cls):

            def iris(p: str, iri: str = iri) -> list[str]:
                return site.iris(iri, C + p)

            rows.append(
                FactRow(
                    iri,
                    local_id(iri),
                    kind,
                    site.literal(iri, LABEL) or "",
                    iris("ligand") + iris("regulator"),
                    iris("mechanism"),
                    iris("reviewCategory"),
                    iris("evidenceLevel"),
                    is_true(site.literal(iri, C + "contested")),
                    iris("sourceCellType"),
                    iris("contestedSourceCellType"),
                    iris("producingCellType"),
                    iris("releasingCellType"),
                    iris("targetCellType") + iris("cellType"),
                    iris("inferredType"),
                )
            )
    return sorted(rows, key=lambda r: r.id)


# -- where an entity or term is used ---------------------------------------------------------------

# Each branch starts from the node and reaches its facts; the fact's type is checked last, by FILTER.
# Starting from the facts (``VALUES ?factType … ?fact a ?factType`` first, as it was) made Oxigraph join
# every fact with every branch: 0.5 s per entity page at ×10, 53–82 s at ×100 (issue 17), now 50 ms.
_USAGE = (
    sparql_prefixes("clasto", "rdf")
    + """SELECT DISTINCT ?fact ?role ?via WHERE {{
  {{ ?fact ?role <{x}> . {fact} }}
  UNION {{ ?via <{part}> <{x}> . ?fact ?role ?via . {fact} }}
  UNION {{ ?via ?role <{x}> . ?fact clasto:hasClaim ?via . {fact} }}
  UNION {{ ?via ?role <{x}> . ?claim clasto:supportedBy|clasto:disputedBy ?via .
           ?fact clasto:hasClaim ?claim . {fact} }}
}}
"""
)
_IS_FACT = "?fact a ?factType . FILTER(?factType IN (clasto:ClastokineFact, clasto:RegulationFact))"


@dataclass
class Usage:
    """A fact that uses a node, and how (role predicates, and the claim/complex/evidence in between)."""

    fact: str
    roles: list[tuple[str, str | None]]


def usage(site: Site, iri: str) -> list[Usage]:
    """All facts a node takes part in: directly (ligand, receptor, cell type, process …), as a subunit
    of a receptor complex, as the subject, object or context of a claim, or in the evidence."""
    rows = site.query(_USAGE.format(x=iri, part=HAS_PART, fact=_IS_FACT))
    by_fact: dict[str, set[tuple[str, str | None]]] = {}
    for row in rows:
        if row["role"] == RDF_TYPE:
            continue
        by_fact.setdefault(row["fact"], set()).add((row["role"], row.get("via")))
    return [Usage(f, sorted(roles, key=lambda r: (r[1] or "", r[0]))) for f, roles in sorted(by_fact.items())]


def role_name(site: Site, predicate: str, via: str | None) -> str:
    """A reader's word for a role: ``ligand``, ``subunit of <complex>``, ``claim subject`` …"""
    words = {
        RDF + "subject": "claim subject",
        RDF + "object": "claim object",
        CONTEXT: "claim context",
        IN_TAXON: "taxon",
        DCTERMS_NS + "references": "reference",
        DCTERMS_NS + "source": "source",
    }
    if via and predicate in (C + "receptor", C + "ligand", C + "regulator") and site.iris(via, HAS_PART):
        return f"{site.label(predicate)} complex subunit"
    word = words.get(predicate) or site.label(predicate)
    if via and "/evidence/" in via:
        return f"evidence {word}"
    return word


# -- landing page --------------------------------------------------------------------------------


def counts(site: Site) -> dict[str, int]:
    """The headline numbers of the landing page (and of ``/health``)."""
    pre = sparql_prefixes("clasto", "dcterms")
    return {
        "facts": site.count(
            pre + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { VALUES ?t { clasto:ClastokineFact "
            "clasto:RegulationFact } ?f a ?t }"
        ),
        "clastokine_facts": site.count(pre + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a clasto:ClastokineFact }"),
        "regulation_facts": site.count(pre + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a clasto:RegulationFact }"),
        "claims": site.count(pre + "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a clasto:Claim }"),
        "evidence_lines": site.count(pre + "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a clasto:EvidenceLine }"),
        "publications": site.count(
            pre + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?e a clasto:EvidenceLine ; dcterms:source ?p }"
        ),
        "entities": site.count(
            pre + f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?f clasto:ligand|clasto:receptor|"
            f"clasto:regulator|clasto:upregulates|clasto:downregulates ?y . "
            f"?y <{HAS_PART}>? ?x . FILTER NOT EXISTS {{ ?x a <{OWL}Class> }} "
            f"FILTER NOT EXISTS {{ ?x <{HAS_PART}> ?z }} }}"
        ),
        "triples": site.count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "contested_facts": site.count(
            pre + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { VALUES ?t { "
            "clasto:ClastokineFact clasto:RegulationFact } ?f a ?t ; "
            'clasto:contested ?c FILTER(STR(?c) IN ("true", "1")) }'
        ),
        "inferred_clastokines": site.count(
            pre + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f clasto:inferredType clasto:Clastokine }"
        ),
    }


def dataset_node(site: Site) -> str | None:
    """The dataset description node: the ``void:Dataset`` with a ``pav:version`` (the release)."""
    rows = site.query(
        "SELECT ?d WHERE { ?d a <http://rdfs.org/ns/void#Dataset> ; <http://purl.org/pav/version> ?v } "
        "ORDER BY ?d LIMIT 1"
    )
    return rows[0]["d"] if rows else None


def version(site: Site) -> str | None:
    node = dataset_node(site)
    return site.literal(node, "http://purl.org/pav/version") if node else None
