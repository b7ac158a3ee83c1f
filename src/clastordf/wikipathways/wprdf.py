"""GPML → WikiPathways RDF (the ``wp:`` vocabulary), as WikiPathways' GPML2RDF converter publishes it.

:func:`gpml_to_wp` reproduces what WikiPathways publishes per pathway (``wp/Human/WPnnn.ttl`` in the
RDF dumps), so the SPARQL users already write against sparql.wikipathways.org also work on our own
pathway, and joins between the two work on the same identifiers.org IRIs. The rules below were
checked triple by triple against converter output (shared/gpml/rdf-pairs/), and follow the
converter's source (wikipathways/GPML2RDF, ``PathwayConverter``, ``DataNodeConverter``,
``GroupConverter``, ``InteractionConverter``, ``PublicationXrefConverter``):

* the pathway is ``https://identifiers.org/wikipathways/{WPID}_r{rev}`` (``wp:Pathway``,
  ``skos:Collection``), with ``dc:title``\\@en, ``dcterms:description`` (the WikiPathways-description
  comments), ``wp:organism`` (NCBITaxon PURL) and ``wp:organismName``, ``wp:ontologyTag`` plus
  ``wp:pathwayOntologyTag`` / ``wp:diseaseOntologyTag`` / ``wp:cellTypeOntologyTag`` by CURIE
  prefix, ``foaf:page``/``foaf:img``, ``wp:isAbout`` its GPML-RDF twin; the versionless IRI
  ``pav:hasVersion`` it;
* a data node is its identifiers.org IRI (one resource per Xref, so repeated nodes merge), typed
  ``wp:DataNode`` and ``wp:GeneProduct``/``Protein``/``Metabolite``/``Rna``/``Pathway``/``Complex``,
  with ``dc:identifier``, ``dc:source`` (BridgeDb name), ``dcterms:identifier``, ``rdfs:label``,
  ``foaf:page``, ``dcterms:isPartOf`` the pathway and every interaction and complex it is in;
  nodes of type Unknown, or without an identifiers.org-mapped Xref, are left out;
* ``wp:bdb*`` links come from a :data:`Mapper`. WikiPathways fills them from BridgeDb mapping
  databases, which are not available offline; the default, :func:`self_mappings`, gives the part
  that needs none (a node's own identifier under its own ``wp:bdb*`` property, as the converter
  adds it), and :func:`dataset_wp` maps through the clastordf graph's ``skos:exactMatch`` links;
* interactions are ``{rdf}/Pathway/{WPID}_r{rev}/WP/Interaction/{GraphId}``: ``wp:Interaction``,
  and, when directed, ``wp:DirectedInteraction`` with ``wp:source``/``wp:target``/``wp:participants``
  and a class from the arrowhead (``mim-stimulation`` → ``wp:Stimulation``, ``mim-inhibition`` and
  ``TBar`` → ``wp:Inhibition``, ``mim-binding`` → ``wp:Binding``, ``mim-conversion`` →
  ``wp:Conversion``, ``mim-catalysis`` → ``wp:Catalysis``, …; a plain ``Arrow`` adds none).
  Lines whose end sits on another line's anchor become interactions whose target is that line's
  interaction; lines anchored with a plain end join the interaction they branch from. As in the
  converter, an end on a Group does not resolve (the interaction is dropped) unless
  ``group_endpoints`` is set;
* a ``Complex`` group with two or more converted members is ``…/Complex/{GraphId}``
  (``wp:Complex``, ``wp:participants``), with a ``…/ComplexBinding/{GraphId}`` binding;
* a ``BiopaxRef`` to a PubMed publication gives ``dcterms:references``
  ``https://identifiers.org/pubmed/{id}`` on the element (a ``wp:PublicationReference`` that is
  ``dcterms:isPartOf`` the element), and ``cito:cites`` from the pathway.

For clastordf's own pathway, :func:`dataset_wp` converts the GPML the build exports with IRIs
under ``https://w3id.org/clastordf/pathway/``, fills ``wp:bdb*`` from the dataset graph, adds the
facts' references to the interactions they draw, and describes the result as a ``void:Dataset``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from ..vocab import (
    CF,
    CITO,
    CLASTO,
    DATASET_IRI,
    DOI,
    GENE_PRODUCT_OF,
    HUMAN,
    IDENTIFIERS_ORG,
    IN_TAXON,
    NAMESPACES,
    OBO,
    PATHWAY,
    PAV,
    PUBMED,
    VOID,
    WP,
    WP_DATASET_IRI,
    WP_PREFIXES,
    WPRDF,
)
from .gpml_read import (
    DataNode,
    DataSource,
    Element,
    Group,
    Interaction,
    Pathway,
    PublicationXref,
    Xref,
    datasource,
    parse_gpml,
)

NCIT_TAXON_ID = OBO.NCIT_C179773  # "has NCBI taxon id", the literal WikiPathways hangs on the taxon
CC0 = URIRef("http://creativecommons.org/publicdomain/zero/1.0/")
PUBMED_PAGE = "http://www.ncbi.nlm.nih.gov/pubmed/"

#: NCBI Taxonomy ids of the organisms WikiPathways has pathways for (BridgeDb ``Organism``).
ORGANISMS: dict[str, str] = {
    "Homo sapiens": "9606",
    "Mus musculus": "10090",
    "Rattus norvegicus": "10116",
    "Bos taurus": "9913",
    "Canis familiaris": "9615",
    "Sus scrofa": "9823",
    "Gallus gallus": "9031",
    "Danio rerio": "7955",
    "Xenopus tropicalis": "8364",
    "Drosophila melanogaster": "7227",
    "Caenorhabditis elegans": "6239",
    "Saccharomyces cerevisiae": "4932",
    "Arabidopsis thaliana": "3702",
    "Escherichia coli": "562",
    "Pan troglodytes": "9598",
    "Equus caballus": "9796",
    "Oryza sativa": "4530",
    "Zea mays": "4577",
    "Plasmodium falciparum": "5833",
    "Mycobacterium tuberculosis": "1773",
    "Bacillus subtilis": "1423",
    "Anopheles gambiae": "7165",
    "Gibberella zeae": "5518",
    "Populus trichocarpa": "3694",
    "Solanum lycopersicum": "4081",
    "Vitis vinifera": "29760",
    "Triticum aestivum": "4565",
}

#: Arrowhead (GPML ``ArrowHead``) → the interaction class it adds, as ``getLineTypeResource`` maps it.
ARROWHEAD_CLASS: dict[str, URIRef | None] = {
    "Arrow": None,
    "TBar": WP.Inhibition,
    "mim-catalysis": WP.Catalysis,
    "mim-conversion": WP.Conversion,
    "mim-inhibition": WP.Inhibition,
    "mim-stimulation": WP.Stimulation,
    "mim-necessary-stimulation": WP.Stimulation,
    "mim-transcription-translation": WP.TranscriptionTranslation,
    "mim-translation": WP.TranscriptionTranslation,
    "mim-translocation": WP.Translocation,
    "mim-binding": WP.Binding,
}

#: Data node Type → its wp: class. ``Unknown`` nodes are not converted at all.
NODE_CLASS: dict[str, URIRef] = {
    "GeneProduct": WP.GeneProduct,
    "Protein": WP.Protein,
    "Metabolite": WP.Metabolite,
    "Rna": WP.Rna,
    "Pathway": WP.Pathway,
    "Complex": WP.Complex,
}
_MAPPED_TYPES = {"GeneProduct", "Protein", "Metabolite", "Rna", "Complex"}

#: BridgeDb system code → (wp:bdb* property, IRI prefix), as ``getUnifiedIdentifiers`` writes them.
BDB: dict[str, tuple[URIRef, str]] = {
    "En": (WP.bdbEnsembl, IDENTIFIERS_ORG + "ensembl/"),
    "S": (WP.bdbUniprot, IDENTIFIERS_ORG + "uniprot/"),
    "L": (WP.bdbEntrezGene, IDENTIFIERS_ORG + "ncbigene/"),
    "H": (WP.bdbHgncSymbol, IDENTIFIERS_ORG + "hgnc.symbol/"),
    "Ch": (WP.bdbHmdb, IDENTIFIERS_ORG + "hmdb/"),
    "Cs": (WP.bdbChemspider, IDENTIFIERS_ORG + "chemspider/"),
    "Ce": (WP.bdbChEBI, IDENTIFIERS_ORG + "chebi/"),
    "Wd": (WP.bdbWikidata, "http://www.wikidata.org/entity/"),
    "Cpc": (WP.bdbPubChem, "http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID"),
    "Ck": (WP.bdbKeggCompound, IDENTIFIERS_ORG + "kegg.compound/"),
    "Lm": (WP.bdbLipidMaps, IDENTIFIERS_ORG + "lipidmaps/"),
    "Re": (WP.bdbReactome, IDENTIFIERS_ORG + "reactome/"),
    "Rh": (WP.bdbRhea, IDENTIFIERS_ORG + "rhea/"),
    "Cpx": (WP.bdbComplexPortal, IDENTIFIERS_ORG + "complexportal/"),
}

#: Given an Xref and its data source, the (wp:bdb* property, IRI) pairs it maps to.
Mapper = Callable[[Xref, DataSource | None], Iterable[tuple[URIRef, URIRef]]]


def self_mappings(xref: Xref, source: DataSource | None) -> list[tuple[URIRef, URIRef]]:
    """The mapping BridgeDb is not needed for: the node's own id under its own ``wp:bdb*``.

    >>> self_mappings(Xref("ChEBI", "2719"), datasource("ChEBI"))
    [(rdflib.term.URIRef('http://vocabularies.wikipathways.org/wp#bdbChEBI'), \
rdflib.term.URIRef('https://identifiers.org/chebi/CHEBI:2719'))]
    """
    if source is None or source.code not in BDB:
        return []
    prop, prefix = BDB[source.code]
    ident = xref.id
    if source.code == "Ce" and not ident.startswith("CHEBI:"):
        ident = "CHEBI:" + ident
    return [(prop, URIRef(prefix + ident))]


@dataclass(frozen=True)
class WpIris:
    """Where the converter's IRIs live: WikiPathways' for WikiPathways files, ours for our pathway.

    ``pathway`` + ``{id}`` is the versionless pathway, + ``{id}_r{rev}`` the version; ``rdf`` +
    ``Pathway/{id}_r{rev}/…`` the GPML-level and interaction nodes; ``page``/``svg``/``png`` are
    patterns with ``{id}`` and ``{rev}`` (``None``: not written).
    """

    pathway: str
    rdf: str
    page: str | None
    svg: str | None = None
    png: str | None = None
    source: str = "WikiPathways"


WIKIPATHWAYS = WpIris(
    pathway=IDENTIFIERS_ORG + "wikipathways/",
    rdf=WPRDF,
    page="http://www.wikipathways.org/instance/{id}_r{rev}",
    svg="https://www.wikipathways.org//wpi/wpi.php?action=downloadFile&type=svg&pwTitle=Pathway:{id}&oldid={rev}",
    png="https://www.wikipathways.org//wpi/wpi.php?action=downloadFile&type=png&pwTitle=Pathway:{id}&oldid={rev}",
)

CLASTORDF = WpIris(
    pathway=PATHWAY,
    rdf=PATHWAY,
    page=PATHWAY + "{id}",
    source="clastordf",
)


def node_iri(xref: Xref, source: DataSource | None) -> URIRef | None:
    """The identifiers.org IRI WikiPathways RDF gives a node with this Xref, or ``None`` (not converted).

    >>> node_iri(Xref("Uniprot-TrEMBL", "P30556"), datasource("Uniprot-TrEMBL"))
    rdflib.term.URIRef('https://identifiers.org/uniprot/P30556')
    """
    ident = _node_id(xref, source)
    url = source.identifiers_org(ident) if source is not None and ident else None
    if not url:
        return None
    if "/chebi/" in url and "chebi/CHEBI:" not in url:
        url = url.replace("chebi/", "chebi/CHEBI:")
    return URIRef(url.strip().replace(" ", "_"))


def _node_id(xref: Xref, source: DataSource | None) -> str:
    """The identifier as the converter writes it (HMDB ids padded to the 11-character form)."""
    ident = xref.id
    if source is not None and source.name == "HMDB" and len(ident) != 11 and len(ident) > 4:
        ident = "HMDB00" + ident[4:]
    return ident


class _Converter:
    """One conversion: the graph being built and the lookups the converter keeps while building."""

    def __init__(self, pathway: Pathway, wpid: str, revision: str, mapper: Mapper, iris: WpIris, group_endpoints: bool):
        self.p = pathway
        self.wpid = wpid.strip()
        self.rev = revision.strip().replace(" ", "_")
        self.mapper = mapper
        self.iris = iris
        self.group_endpoints = group_endpoints
        self.g = Graph()
        for prefix, ns in WP_PREFIXES.items():
            self.g.bind(prefix, ns)
        self.pw = URIRef(f"{iris.pathway}{self.wpid}_r{self.rev}")
        self.seen: set[URIRef] = set()  # data node resources made so far (one per Xref)
        self.resource: dict[int, URIRef] = {}  # converted element (by id()) → its resource
        self.node_of: dict[str, URIRef] = {}  # GraphId of a converted data node → resource

    def local(self, kind: str, graph_id: str) -> URIRef:
        return URIRef(f"{self.iris.rdf}Pathway/{self.wpid}_r{self.rev}/{kind}/{graph_id}")

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.g.add((s, p, o))

    # -- pathway --------------------------------------------------------------------------

    def pathway(self) -> None:
        pw, p = self.pw, self.p
        versionless = URIRef(f"{self.iris.pathway}{self.wpid}")
        self.add(versionless, PAV.hasVersion, pw)
        organism = (p.organism or "").strip()
        if organism in ORGANISMS:
            taxon = OBO[f"NCBITaxon_{ORGANISMS[organism]}"]
            self.add(taxon, NCIT_TAXON_ID, Literal(ORGANISMS[organism]))
            self.add(pw, WP.organism, taxon)
        if p.organism is not None:
            self.add(pw, WP.organismName, Literal(p.organism))
        for tag in p.ontology_tags:
            self.ontology_tag(tag.id)
        self.add(pw, WP.isAbout, URIRef(f"{self.iris.rdf}Pathway/{self.wpid}_r{self.rev}"))
        if self.iris.page:
            self.add(pw, FOAF.page, URIRef(self.iris.page.format(id=self.wpid, rev=self.rev)))
        self.add(pw, RDF.type, WP.Pathway)
        self.add(pw, RDF.type, SKOS.Collection)
        self.add(pw, DC.identifier, versionless)
        self.add(pw, DCTERMS.identifier, Literal(self.wpid))
        self.add(pw, DC.title, Literal(p.title, lang="en"))
        self.add(pw, DC.source, Literal(self.iris.source))
        for pattern, fmt in ((self.iris.svg, "image/svg+xml"), (self.iris.png, "image/png")):
            if pattern:
                img = URIRef(pattern.format(id=self.wpid, rev=self.rev))
                self.add(img, RDF.type, FOAF.Image)
                self.add(img, DCTERMS.format, Literal(fmt))
                self.add(pw, FOAF.img, img)
        for c in p.comments:
            if c.source == "WikiPathways-description":
                self.add(pw, DCTERMS.description, Literal(c.text))
            elif c.source in ("HomologyConvert", "HomologyMapper"):
                self.add(pw, WP.ontologyTag, WP["Curation:Homology_Converted"])
        for pub in p.cited(p.biopax_refs):
            self.cite(pub, pw)

    def ontology_tag(self, curie: str) -> None:
        """``wp:ontologyTag`` for every tag, plus the PW / DOID / CL specific property."""
        local = curie.replace(":", "_").strip().replace(" ", "_")
        if not local:
            return
        term = OBO[local]
        self.add(self.pw, WP.ontologyTag, term)
        for marker, prop in (
            ("PW_", WP.pathwayOntologyTag),
            ("DOID_", WP.diseaseOntologyTag),
            ("CL_", WP.cellTypeOntologyTag),
        ):
            if marker in local:
                self.add(self.pw, prop, term)

    def cite(self, pub: PublicationXref, parent: URIRef) -> URIRef | None:
        """A publication reference of ``parent`` (pathway, node, interaction, complex)."""
        if pub.pubmed:
            res, source, ident = PUBMED[pub.pubmed], "PubMed", pub.pubmed
            page = URIRef(PUBMED_PAGE + pub.pubmed)
        elif pub.doi:
            res, source, ident = DOI[pub.doi], "DOI", pub.doi
            page = res
        else:
            return None
        self.add(res, RDF.type, WP.PublicationReference)
        self.add(res, DC.source, Literal(source))
        self.add(res, DCTERMS.identifier, Literal(ident))
        self.add(res, FOAF.page, page)
        self.add(res, DCTERMS.isPartOf, parent)
        self.add(parent, DCTERMS.references, res)
        self.add(self.pw, CITO.cites, res)
        return res

    # -- data nodes -----------------------------------------------------------------------

    def data_node(self, node: DataNode) -> None:
        if node.type == "Unknown" or not node.xref.id.strip():
            return
        source = datasource(node.xref.database)
        res = node_iri(node.xref, source)
        if res is None or source is None:
            return
        if res not in self.seen:
            self.add(res, DC.identifier, res)
            self.add(res, DC.source, Literal(source.name))
            self.add(res, DCTERMS.identifier, Literal(_node_id(node.xref, source)))
            self.add(res, RDF.type, WP.DataNode)
            if node.type in NODE_CLASS:
                self.add(res, RDF.type, NODE_CLASS[node.type])
            if node.type in _MAPPED_TYPES:
                for prop, obj in self.mapper(node.xref, source):
                    self.add(res, prop, obj)
        self.seen.add(res)
        self.resource[id(node)] = res
        if node.graph_id:
            self.node_of[node.graph_id] = res
        page = source.page(node.xref.id)
        if page:
            self.add(res, FOAF.page, URIRef(page.replace(" ", "_")))
        for pub in self.p.cited(node.biopax_refs):
            self.cite(pub, res)
        self.add(res, WP.isAbout, self.local("DataNode", node.graph_id or ""))
        self.add(res, RDFS.label, Literal(node.text_label.replace("\n", " ").strip()))
        self.add(res, DCTERMS.isPartOf, self.pw)

    # -- complexes ------------------------------------------------------------------------

    def group(self, group: Group) -> None:
        if group.style != "Complex":
            return
        embedded: DataNode | None = None
        participants: list[URIRef] = []
        for member in self.p.members(group):
            if isinstance(member, DataNode) and member.type == "Complex":
                embedded = member
            elif isinstance(member, DataNode) and id(member) in self.resource:
                participants.append(self.resource[id(member)])
        if len(participants) < 2:
            return
        gid = group.graph_id or group.group_id
        cx, binding, about = self.local("Complex", gid), self.local("ComplexBinding", gid), self.local("Group", gid)
        self.add(cx, RDF.type, WP.DataNode)
        self.add(cx, RDF.type, WP.Complex)
        self.add(cx, WP.isAbout, about)
        self.add(cx, DCTERMS.isPartOf, self.pw)
        if group.text_label:
            self.add(cx, RDFS.label, Literal(group.text_label.replace("\n", " ")))
        self.resource[id(group)] = cx
        if group.graph_id and self.group_endpoints:
            self.node_of.setdefault(group.graph_id, cx)
        for t in (WP.Interaction, WP.Binding, WP.ComplexBinding):
            self.add(binding, RDF.type, t)
        self.add(binding, WP.participants, cx)
        self.add(binding, WP.isAbout, about)
        self.add(binding, DCTERMS.isPartOf, self.pw)
        for r in participants:
            self.add(cx, WP.participants, r)
            self.add(binding, WP.participants, r)
            self.add(r, DCTERMS.isPartOf, cx)
        if embedded is not None:
            self.embedded_complex(cx, embedded)
        for pub in self.p.cited(group.biopax_refs):
            self.cite(pub, cx)
            if pub.pubmed:
                self.add(binding, DCTERMS.references, PUBMED[pub.pubmed])

    def embedded_complex(self, cx: URIRef, node: DataNode) -> None:
        """A ``Complex`` data node inside the group names the complex (e.g. a Complex Portal id)."""
        if not node.xref.id.strip():
            return
        source = datasource(node.xref.database)
        for prop, obj in self.mapper(node.xref, source):
            self.add(cx, prop, obj)
        self.add(cx, RDFS.label, Literal(node.text_label))
        iri = node_iri(node.xref, source)
        if source is not None and iri is not None:
            self.add(cx, DC.identifier, iri)
            self.add(cx, DC.source, Literal(source.name))
            self.add(cx, DCTERMS.identifier, Literal(node.xref.id))

    # -- interactions ---------------------------------------------------------------------

    def endpoint(self, graph_ref: str | None) -> URIRef | None:
        """The converted data node (or, with ``group_endpoints``, complex) a point is attached to."""
        return self.node_of.get(graph_ref) if graph_ref else None

    def dangling(self, line: Interaction) -> bool:
        """An end on an anchor (or on nothing): such a line is handled with the line it points at."""
        return any(pt.graph_ref is not None and self.p.element(pt.graph_ref) is None for pt in (line.start, line.end))

    def attached(self, line: Interaction) -> tuple[list[Interaction], list[Interaction]]:
        """Lines on this line's anchors: plain-ended ones take part, arrow-ended ones regulate it."""
        parts: list[Interaction] = [line]
        regs: list[Interaction] = []
        for anchor in line.anchors:
            for other in self.p.interactions:
                for pt in (other.start, other.end):
                    if anchor.graph_id is not None and pt.graph_ref == anchor.graph_id:
                        bucket = parts if pt.arrowhead == "Line" else regs
                        if other not in bucket:
                            bucket.append(other)
        return parts, regs

    def interaction(self, line: Interaction) -> None:
        if id(line) in self.resource or self.dangling(line):
            return
        parts, regs = self.attached(line)
        sources: list[URIRef] = []
        targets: list[URIRef] = []
        for ln in parts:
            for pt in (ln.start, ln.end):
                res = self.endpoint(pt.graph_ref) if self.p.element(pt.graph_ref) is not None else None
                if res is not None:
                    (sources if pt.arrowhead == "Line" else targets).append(res)
        heads = {pt.arrowhead for ln in parts for pt in (ln.start, ln.end) if pt.arrowhead != "Line"}
        if len(heads) > 1:
            return  # different arrowheads in one interaction: the converter cannot resolve it either
        head = next(iter(heads), "Line")
        if head == "Line":
            self.undirected(line, parts, sources, regs)
        elif len(parts) == 1 and _reversible(line):
            self.reversible(line, regs)
        elif any(_reversible(ln) for ln in parts):
            return
        elif sources and targets:
            self.directed(line, parts, sources, targets, head, regs)

    def base(self, iri: URIRef, parts: list[Interaction]) -> None:
        self.add(iri, RDF.type, WP.Interaction)
        self.add(iri, DCTERMS.isPartOf, self.pw)
        for ln in parts:
            self.add(iri, WP.isAbout, self.local("Interaction", ln.graph_id or ""))
            self.resource[id(ln)] = iri
            for pub in self.p.cited(ln.biopax_refs):
                self.cite(pub, iri)

    def undirected(
        self, line: Interaction, parts: list[Interaction], sources: list[URIRef], regs: list[Interaction]
    ) -> None:
        iri = self.local("WP/Interaction", line.graph_id or "")
        self.base(iri, parts)
        for r in sources:
            self.add(iri, WP.participants, r)
            self.add(r, DCTERMS.isPartOf, iri)
        self.regulations(iri, regs, "")

    def directed(
        self,
        line: Interaction,
        parts: list[Interaction],
        sources: list[URIRef],
        targets: list[URIRef],
        head: str,
        regs: list[Interaction],
    ) -> None:
        iri = self.local("WP/Interaction", line.graph_id or "")
        self.base(iri, parts)
        self.add(iri, RDF.type, WP.DirectedInteraction)
        arrow_class = ARROWHEAD_CLASS.get(head)
        if arrow_class is not None:
            self.add(iri, RDF.type, arrow_class)
        for prop, ends in ((WP.source, sources), (WP.target, targets)):
            for r in ends:
                self.add(iri, WP.participants, r)
                self.add(iri, prop, r)
                self.add(r, DCTERMS.isPartOf, iri)
        self.regulations(iri, regs, "")
        xref = line.xref
        if xref is not None and xref.id.strip() and xref.database.strip():
            source = datasource(xref.database)
            self.add(iri, DC.source, Literal(source.name if source else xref.database))
            self.add(iri, DCTERMS.identifier, Literal(xref.id.replace(" ", "_")))
            for prop, obj in self.mapper(xref, source):
                self.add(iri, prop, obj)

    def reversible(self, line: Interaction, regs: list[Interaction]) -> None:
        """A line with arrowheads at both ends: two directed interactions, ``_1`` and ``_2``."""
        start, end = self.endpoint(line.start.graph_ref), self.endpoint(line.end.graph_ref)
        if start is None or end is None:
            return
        halves = (
            (f"{line.graph_id}_1", start, end, line.end.arrowhead),
            (f"{line.graph_id}_2", end, start, line.start.arrowhead),
        )
        for n, (local, src, tgt, head) in enumerate(halves):
            iri = self.local("WP/Interaction", local)
            self.directed_core(iri, head, line.graph_id)
            for prop, r in ((WP.source, src), (WP.target, tgt)):
                self.add(iri, WP.participants, r)
                self.add(iri, prop, r)
                self.add(r, DCTERMS.isPartOf, iri)
            if n == 0:
                self.resource[id(line)] = iri
                for pub in self.p.cited(line.biopax_refs):
                    self.cite(pub, iri)
            self.regulations(iri, regs, f"_{n + 1}")

    def directed_core(self, iri: URIRef, head: str | None, graph_id: str | None) -> None:
        """The triples every directed interaction of the converter carries."""
        self.add(iri, RDF.type, WP.Interaction)
        self.add(iri, RDF.type, WP.DirectedInteraction)
        arrow_class = ARROWHEAD_CLASS.get(head) if head is not None else None
        if arrow_class is not None:
            self.add(iri, RDF.type, arrow_class)
        self.add(iri, DCTERMS.isPartOf, self.pw)
        self.add(iri, WP.isAbout, self.local("Interaction", graph_id or ""))

    def regulations(self, parent: URIRef, regs: list[Interaction], suffix: str) -> None:
        for reg in regs:
            if not _reversible(reg):
                self.regulation(reg, parent, self.local("WP/Interaction", f"{reg.graph_id}{suffix}"))

    def regulation(self, line: Interaction, parent: URIRef, iri: URIRef) -> None:
        """A line ending on ``parent``'s anchor: ``regulator`` → the interaction ``parent``."""
        if line.start.graph_ref is None or line.end.graph_ref is None:
            return
        start, end = self.p.element(line.start.graph_ref), self.p.element(line.end.graph_ref)
        regulator = self.regulator(end if start is None else start)
        if regulator is None:
            return
        head = line.start.arrowhead if line.start.arrowhead != "Line" else line.end.arrowhead
        self.resource[id(line)] = iri
        self.directed_core(iri, head, line.graph_id)
        for pub in self.p.cited(line.biopax_refs):
            self.cite(pub, iri)
        self.add(iri, WP.participants, parent)
        self.add(iri, WP.participants, regulator)
        self.add(iri, WP.source, regulator)
        self.add(iri, WP.target, parent)
        self.add(regulator, DCTERMS.isPartOf, iri)

    def regulator(self, element: Element | None) -> URIRef | None:
        return self.resource.get(id(element)) if element is not None else None

    def run(self) -> Graph:
        self.pathway()
        for node in self.p.data_nodes:
            self.data_node(node)
        for group in self.p.groups:
            self.group(group)
        for line in self.p.interactions:
            self.interaction(line)
        return self.g


def _reversible(line: Interaction) -> bool:
    return line.start.arrowhead != "Line" and line.end.arrowhead != "Line"


def gpml_to_wp(
    pathway: Pathway,
    wpid: str,
    revision: str,
    *,
    mapper: Mapper = self_mappings,
    iris: WpIris = WIKIPATHWAYS,
    group_endpoints: bool = False,
) -> Graph:
    """The wp: RDF WikiPathways publishes for this pathway at this revision (``revision`` without ``r``).

    ``mapper`` supplies the ``wp:bdb*`` links (default: only each node's own id); ``iris`` the IRI
    bases (default WikiPathways'); ``group_endpoints`` lets interactions that end on a Group end on
    its ``wp:Complex`` (WikiPathways' converter drops them).
    """
    return _Converter(pathway, wpid, revision.removeprefix("r"), mapper, iris, group_endpoints).run()


# --- clastordf's own pathway -----------------------------------------------------------------

PATHWAY_ID = "clastokines"
_FACT = re.compile(rf"(?:{re.escape(CF)}|\bcf:)?\b(CF\d{{4,}})\b")


class DatasetMapper:
    """``wp:bdb*`` links for our nodes from the dataset graph: ``skos:exactMatch`` and labels.

    An Xref finds its dataset entity (a UniProt IRI, a ChEBI PURL, a miRBase IRI) directly or
    through an entity's ``skos:exactMatch`` (a miRNA: its ``RO:0002204`` gene); the entity then gives
    ``wp:bdbUniprot`` (itself), ``wp:bdbEntrezGene`` / ``wp:bdbEnsembl`` (its exactMatch or gene),
    ``wp:bdbHgncSymbol`` (the HGNC symbol it is labelled with, for gene products) and ``wp:bdbChEBI``
    (ChEBI ligands).
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.entity_of: dict[URIRef, URIRef] = {}
        for s, o in graph.subject_objects(SKOS.exactMatch):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                self.entity_of.setdefault(o, s)
        # A miRNA is a product of its gene, not the gene; BridgeDb still maps one to the other.
        for s, o in graph.subject_objects(GENE_PRODUCT_OF):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                self.entity_of.setdefault(o, s)

    def human_gene(self, entity: Node) -> bool:
        """A human gene product, whose label is its HGNC symbol."""
        return (entity, RDF.type, CLASTO.GeneProduct) in self.graph and (entity, IN_TAXON, HUMAN) in self.graph

    def entity(self, xref: Xref, source: DataSource | None) -> URIRef | None:
        iri = node_iri(xref, source)
        if iri is None:
            return None
        chebi = re.fullmatch(r"https://identifiers\.org/chebi/CHEBI:(\d+)", str(iri))
        if chebi:
            purl = OBO[f"CHEBI_{chebi.group(1)}"]
            return purl if (purl, None, None) in self.graph or (None, None, purl) in self.graph else None
        if source is not None and source.code == "H":  # an HGNC symbol: the human gene product labelled so
            genes = self.graph.subjects(RDFS.label, Literal(xref.id))
            return next((s for s in genes if isinstance(s, URIRef) and self.human_gene(s)), None)
        if (iri, None, None) in self.graph:
            return iri
        return self.entity_of.get(iri)

    def __call__(self, xref: Xref, source: DataSource | None) -> list[tuple[URIRef, URIRef]]:
        out = self_mappings(xref, source)
        entity = self.entity(xref, source)
        if entity is None:
            return out
        text = str(entity)
        if text.startswith(NAMESPACES["uniprot"]):
            out.append((WP.bdbUniprot, entity))
        if text.startswith(str(OBO) + "CHEBI_"):
            out.append((WP.bdbChEBI, URIRef(f"{IDENTIFIERS_ORG}chebi/CHEBI:" + text.rsplit("_", 1)[1])))
        for match in [*self.graph.objects(entity, SKOS.exactMatch), *self.graph.objects(entity, GENE_PRODUCT_OF)]:
            m = str(match)
            if m.startswith(NAMESPACES["ncbigene"]):
                out.append((WP.bdbEntrezGene, URIRef(m)))
            elif m.startswith(NAMESPACES["ensembl"]):
                out.append((WP.bdbEnsembl, URIRef(m)))
        if self.human_gene(entity):
            for label in self.graph.objects(entity, RDFS.label):
                out.append((WP.bdbHgncSymbol, URIRef(f"{IDENTIFIERS_ORG}hgnc.symbol/{label}")))
        return sorted(set(out))


def _entities(wp: Graph, prop: URIRef, node_entity: dict[URIRef, URIRef], interaction: URIRef) -> set[URIRef]:
    return {node_entity[n] for n in wp.objects(interaction, prop) if isinstance(n, URIRef) and n in node_entity}


def _parts(graph: Graph, entity: URIRef) -> set[URIRef]:
    """An entity and, for a complex, its subunits (``obo:BFO_0000051``)."""
    return {entity, *(o for o in graph.objects(entity, OBO.BFO_0000051) if isinstance(o, URIRef))}


def _fact_references(graph: Graph, sources: set[URIRef], targets: set[URIRef]) -> set[URIRef]:
    """References of the facts an interaction draws: ligand → receptor, or regulator → regulated."""
    refs: set[URIRef] = set()
    pairs = (
        (CLASTO.ligand, CLASTO.receptor),
        (CLASTO.regulator, CLASTO.upregulates),
        (CLASTO.regulator, CLASTO.downregulates),
    )
    for fact in set(graph.subjects(RDF.type, CLASTO.ClastokineFact)) | set(
        graph.subjects(RDF.type, CLASTO.RegulationFact)
    ):
        for src_prop, tgt_prop in pairs:
            src = {x for o in graph.objects(fact, src_prop) if isinstance(o, URIRef) for x in _parts(graph, o)}
            tgt = {x for o in graph.objects(fact, tgt_prop) if isinstance(o, URIRef) for x in _parts(graph, o)}
            if sources & src and targets & tgt:
                refs.update(o for o in graph.objects(fact, DCTERMS.references) if isinstance(o, URIRef))
    return refs


def _named_facts(pathway: Pathway, line: Interaction) -> set[str]:
    """Fact ids (``CF0200``) an interaction names in its comments, attributes or Xref."""
    texts = [c.text for c in line.comments] + [v for _, v in line.attributes]
    if line.xref is not None:
        texts.append(line.xref.id)
    return {m.group(1) for t in texts for m in _FACT.finditer(t)}


def _add_fact_references(wp: Graph, graph: Graph, pathway: Pathway, conv: _Converter, mapper: DatasetMapper) -> None:
    """``dcterms:references`` on each interaction from the facts it draws, as the converter cites."""
    node_entity: dict[URIRef, URIRef] = {}
    for node in pathway.data_nodes:
        res = conv.resource.get(id(node))
        entity = mapper.entity(node.xref, datasource(node.xref.database)) if res is not None else None
        if res is not None and entity is not None:
            node_entity[res] = entity
    # Every node here is an IRI (the converter's and the dataset's): isinstance only narrows the type.
    complexes = {cx for cx in wp.subjects(RDF.type, WP.Complex) if isinstance(cx, URIRef)}
    for cx in complexes:  # a group stands for the dataset complex of its members
        members = {
            node_entity[m] for m in wp.objects(cx, WP.participants) if isinstance(m, URIRef) and m in node_entity
        }
        for c in {c for m in members for c in graph.subjects(OBO.BFO_0000051, m) if isinstance(c, URIRef)}:
            if members == set(graph.objects(c, OBO.BFO_0000051)):
                node_entity[cx] = c
    for line in pathway.interactions:
        iri = conv.resource.get(id(line))
        if iri is None or (iri, DCTERMS.references, None) in wp:
            continue  # not converted, or the GPML already cites what this interaction rests on
        refs = _fact_references(
            graph, _entities(wp, WP.source, node_entity, iri), _entities(wp, WP.target, node_entity, iri)
        )
        for fact_id in _named_facts(pathway, line):
            refs.update(o for o in graph.objects(CF[fact_id], DCTERMS.references) if isinstance(o, URIRef))
        for ref in sorted(refs):
            pmid = str(ref).removeprefix(PUBMED)
            if pmid.isdigit():
                conv.cite(PublicationXref("", pmid, "PubMed"), iri)
            elif str(ref).startswith(DOI):
                conv.cite(PublicationXref("", str(ref).removeprefix(DOI), "DOI"), iri)


def _cell_type_tags(graph: Graph, conv: _Converter) -> None:
    """The facts' producing and target cell types (CL) as the pathway's cell-type ontology tags."""
    for prop in (CLASTO.sourceCellType, CLASTO.contestedSourceCellType, CLASTO.targetCellType):
        for cl in graph.objects(None, prop):
            if str(cl).startswith(str(OBO) + "CL_"):
                conv.ontology_tag(str(cl).removeprefix(str(OBO)))


def _void(wp: Graph, version: str, pathway_iri: URIRef) -> None:
    """Describe the wp: rendering of clastordf as a ``void:Dataset`` derived from the main dataset."""
    d = WP_DATASET_IRI
    wp.add((d, RDF.type, VOID.Dataset))
    wp.add((d, DCTERMS.title, Literal("clastordf as a WikiPathways (wp:) pathway", lang="en")))
    wp.add(
        (
            d,
            DCTERMS.description,
            Literal(
                "The clastordf pathway in the WikiPathways RDF vocabulary, converted from its GPML the way "
                "WikiPathways' GPML2RDF converter converts pathways; data-source links (wp:bdb*) come from "
                "the dataset's exactMatch links and references from its facts.",
                lang="en",
            ),
        )
    )
    wp.add((d, PAV.version, Literal(version)))
    wp.add((d, DCTERMS.license, CC0))
    wp.add((d, PROV.wasDerivedFrom, URIRef(DATASET_IRI)))
    wp.add((d, VOID.vocabulary, URIRef(str(WP))))
    wp.add((d, VOID.uriSpace, Literal(CLASTORDF.pathway)))
    wp.add((d, VOID.exampleResource, pathway_iri))
    for cls in sorted(
        {o for o in wp.objects(None, RDF.type) if isinstance(o, URIRef)}
        & set(
            WP[c]
            for c in (
                "Pathway",
                "DataNode",
                "GeneProduct",
                "Protein",
                "Metabolite",
                "Rna",
                "Complex",
                "Interaction",
                "DirectedInteraction",
                "Stimulation",
                "Inhibition",
                "Binding",
                "ComplexBinding",
                "Conversion",
                "Catalysis",
                "TranscriptionTranslation",
                "Translocation",
                "PublicationReference",
            )
        )
    ):
        wp.add((d, DCTERMS.subject, cls))


def dataset_wp(graph: Graph, gpml_text: str, version: str, *, pathway_id: str = PATHWAY_ID) -> Graph:
    """wp: RDF for clastordf's own pathway: its GPML converted, then completed from the dataset graph.

    The GPML (``gpml_write.pathway_gpml``) is converted as WikiPathways would (IRIs under
    ``https://w3id.org/clastordf/pathway/``, revision = ``version``), with these additions, since we
    have what WikiPathways fetches from web services: ``wp:bdb*`` from the dataset's
    ``skos:exactMatch`` links and labels; ``dcterms:references`` on each interaction the GPML cites
    nothing for, from the facts it draws (a fact id ``cf:CF…`` named in its comments, or ligand →
    receptor / receptor-complex member, regulator → regulated); the facts' cell types as cell-type
    ontology tags;
    interactions ending on a complex group kept; and a ``void:Dataset``.
    """
    pathway = parse_gpml(gpml_text, source="clastordf pathway GPML")
    mapper = DatasetMapper(graph)
    conv = _Converter(pathway, pathway_id, version, mapper, CLASTORDF, group_endpoints=True)
    wp = conv.run()
    _add_fact_references(wp, graph, pathway, conv, mapper)
    _cell_type_tags(graph, conv)
    _void(wp, version, conv.pw)
    return wp
