"""Turn the checked curation and its derived layer into the RDF graph users query.

The patterns follow the founders' model (docs/model.md): one node per fact with one hop to every
key value, reified claims with exact RO predicates, evidence lines two hops away.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from ..curation import model
from ..curation.derive import Derived
from ..curation.model import Curation, Fact
from ..terms.index import TermIndex
from ..vocab import (
    BASE,
    BIOLINK,
    CE,
    CF,
    CLASTO,
    CX,
    DATASET_IRI,
    DOI,
    GENE_PRODUCT_OF,
    HAS_PART,
    IN_TAXON,
    MIRNA,
    ORTHOLOGOUS_TO,
    PAV,
    PRE_MIRNA,
    PREFIXES,
    PROTEIN_COMPLEX,
    PUBMED,
    REVIEW_IRI,
    VOID,
    expand,
)


def en(text: str) -> Literal:
    return Literal(text, lang="en")


class GraphBuilder:
    """Accumulates the dataset's triples; one method per kind of node."""

    def __init__(self, curation: Curation, derived: dict[str, Derived], index: TermIndex):
        self.curation, self.derived, self.index = curation, derived, index
        self.graph = Graph()
        for prefix, ns in PREFIXES.items():
            self.graph.bind(prefix, ns, override=True)

    def add(self, s: URIRef, p: URIRef, o: URIRef | Literal) -> None:
        self.graph.add((s, p, o))

    # -- references ------------------------------------------------------------------------------

    def entity_iri(self, key: str) -> URIRef:
        entity = self.curation.entities[key]
        if isinstance(entity, model.GeneProduct):
            return URIRef(expand(f"uniprot:{entity.uniprot}"))
        if isinstance(entity, model.Chemical):
            return self.term(entity.chebi.text)
        if isinstance(entity, model.MiRNA):
            return URIRef(expand(entity.mirbase.text))
        return CX[entity.key]

    def term(self, curie: str) -> URIRef:
        return URIRef(expand(curie))

    def mirna_type(self, curie: str) -> URIRef:
        """SO:0000276 miRNA for a mature accession (MIMAT), SO:0001244 pre_miRNA for a stem-loop (MI)."""
        return MIRNA if curie.startswith("mirbase.mature:") else PRE_MIRNA

    def ortholog(self, key: str, taxon: str) -> URIRef:
        """The node of ``key``'s gene in the studied species (only mouse nodes are curated)."""
        entity = self.curation.entities[key]
        if isinstance(entity, model.GeneProduct) and entity.mouse_uniprot:
            return URIRef(expand(f"uniprot:{entity.mouse_uniprot}"))
        assert isinstance(entity, model.MiRNA) and entity.mouse_mirbase, (key, taxon)
        return URIRef(expand(entity.mouse_mirbase.text))

    def ref(self, ref: model.Ref) -> URIRef:
        return self.entity_iri(ref.text) if ref.is_entity else self.term(ref.text)

    def value(self, text: str) -> URIRef:
        return self.entity_iri(text) if ":" not in text else self.term(text)

    # -- nodes -----------------------------------------------------------------------------------

    def build(self) -> Graph:
        self.dataset()
        for fact in self.curation.facts:
            self.fact(fact, self.derived[fact.id])
        for ev in self.curation.evidence.values():
            self.evidence(ev)
        for key in sorted(self.curation.entities):
            self.entity(self.curation.entities[key])
        self.publications()
        return self.graph

    def dataset(self) -> None:
        ds, info = URIRef(DATASET_IRI), self.curation.dataset
        self.add(ds, RDF.type, VOID.Dataset)
        self.add(ds, DCTERMS.title, en(info.title))
        self.add(ds, DCTERMS.description, en(info.description))
        self.add(ds, DCTERMS.license, URIRef(info.license))
        self.add(ds, PAV.version, Literal(info.version))
        self.add(ds, DCTERMS.issued, Literal(info.issued, datatype=XSD.date))
        for creator in info.creators:
            self.add(ds, DCTERMS.creator, Literal(creator))
        self.add(ds, PROV.wasDerivedFrom, REVIEW_IRI)
        self.add(ds, VOID.uriSpace, Literal(BASE))

    def fact(self, fact: Fact, d: Derived) -> None:
        node = CF[fact.id]
        self.add(node, RDF.type, CLASTO[fact.type])
        self.add(node, RDFS.label, en(fact.label))
        agent = self.ref(fact.agent)
        values: tuple[tuple[URIRef, list[str]], ...]
        if fact.type == "ClastokineFact":
            assert fact.mechanism is not None, fact.id  # the reader requires one of a clastokine fact
            self.add(node, CLASTO.ligand, agent)
            self.add(node, CLASTO.mechanism, CLASTO[fact.mechanism])
            values = (
                (CLASTO.sourceCellType, d.source_cells),
                (CLASTO.producingCellType, d.producing_cells),
                (CLASTO.releasingCellType, d.releasing_cells),
                (CLASTO.targetCellType, d.target_cells),
                (CLASTO.receptor, d.receptors),
                (CLASTO.promotes, d.promotes),
                (CLASTO.inhibits, d.inhibits),
                (CLASTO.contestedSourceCellType, d.contested_source_cells),
                (CLASTO.contestedReceptor, d.contested_receptors),
                (CLASTO.contestedPromotes, d.contested_promotes),
                (CLASTO.contestedInhibits, d.contested_inhibits),
            )
        else:
            self.add(node, CLASTO.regulator, agent)
            values = (
                (CLASTO.upregulates, d.upregulates),
                (CLASTO.downregulates, d.downregulates),
                (CLASTO.cellType, d.cell_types),
                (CLASTO.contestedUpregulates, d.contested_upregulates),
                (CLASTO.contestedDownregulates, d.contested_downregulates),
            )
        for prop, iris in values:
            for v in iris:
                self.add(node, prop, self.value(v))
        self.add(node, CLASTO.reviewCategory, CLASTO[fact.review_category])
        self.add(node, CLASTO.evidenceLevel, CLASTO[d.evidence_level])
        self.add(node, CLASTO.contested, Literal(d.contested))
        if d.human_by_orthology:
            self.add(node, CLASTO.humanByOrthology, Literal(True))
        for taxon in d.studied_taxa:
            self.add(node, CLASTO.studiedLigand, self.ortholog(fact.agent.text, taxon))
        if fact.ligand_form:
            self.add(node, CLASTO.ligandForm, en(fact.ligand_form))
        for p in fact.pathways:
            self.add(node, CLASTO.pathway, self.ref(p))
        if fact.carrier:
            self.add(node, CLASTO.carrier, self.ref(fact.carrier))
        for phase in fact.phases:
            self.add(node, CLASTO.remodelingPhase, CLASTO[phase])
        for t in d.taxa:
            self.add(node, IN_TAXON, self.term(t))
        for pmid in d.pmids:
            self.add(node, DCTERMS.references, PUBMED[pmid])
        for doi in d.dois:
            self.add(node, DCTERMS.references, DOI[doi])
        for pmid in d.disputing_pmids:
            self.add(node, CLASTO.disputingReference, PUBMED[pmid])
        for doi in d.disputing_dois:
            self.add(node, CLASTO.disputingReference, DOI[doi])
        for prop, notes in (
            (CLASTO.therapeuticNote, fact.therapeutic_notes),
            (CLASTO.biomarkerNote, fact.biomarker_notes),
        ):
            for note in notes:
                cites = [f"PMID:{p}" for p in note.pmids] + [f"doi:{x}" for x in note.dois]
                self.add(node, prop, en(f"{note.text} ({'; '.join(cites)})"))
        self.add(node, PROV.wasDerivedFrom, REVIEW_IRI)
        for location in fact.source_locations:
            self.add(node, CLASTO.sourceLocation, Literal(location))
        if fact.comment:
            self.add(node, RDFS.comment, en(fact.comment))
        for claim in fact.claims:
            cnode = CF[f"{fact.id}-{claim.id}"]
            self.add(node, CLASTO.hasClaim, cnode)
            self.add(cnode, RDF.type, CLASTO.Claim)
            self.add(cnode, RDF.subject, self.ref(claim.subject))
            self.add(cnode, RDF.predicate, self.term(claim.predicate.text))
            self.add(cnode, RDF.object, self.ref(claim.object))
            if claim.context:
                self.add(cnode, BIOLINK.anatomical_context_qualifier, self.ref(claim.context))
            self.add(cnode, CLASTO.evidenceLevel, CLASTO[d.claim_levels[claim.id]])
            if claim.level_override:
                self.add(cnode, CLASTO.computedEvidenceLevel, CLASTO[d.computed_levels[claim.id]])
                self.add(cnode, CLASTO.evidenceLevelReason, en(claim.level_reason or ""))
            self.add(cnode, CLASTO.contested, Literal(claim.contested))
            for eid in claim.supported_by:
                self.add(cnode, CLASTO.supportedBy, CE[eid])
            for eid in claim.disputed_by:
                self.add(cnode, CLASTO.disputedBy, CE[eid])
            if claim.comment:
                self.add(cnode, RDFS.comment, en(claim.comment))

    def evidence(self, ev: model.Evidence) -> None:
        node = CE[ev.id]
        self.add(node, RDF.type, CLASTO.EvidenceLine)
        self.add(node, CLASTO.evidenceType, self.term(ev.eco.text))
        self.add(node, CLASTO.experimentalSystem, CLASTO[ev.system])
        for t in ev.taxa:
            self.add(node, IN_TAXON, self.term(t.text))
        for site in ev.anatomy:
            self.add(node, CLASTO.anatomicalSite, self.term(site.text))
        if ev.cell_manipulated:
            self.add(node, CLASTO.cellManipulated, self.term(ev.cell_manipulated.text))
        source = PUBMED[ev.pmid] if ev.pmid else DOI[ev.doi] if ev.doi else None
        assert source is not None, ev.id  # the reader requires a PMID or a DOI
        self.add(node, DCTERMS.source, source)
        self.add(node, BIOLINK.knowledge_level, Literal("knowledge_assertion"))
        self.add(node, BIOLINK.agent_type, Literal("manual_agent"))
        if ev.comment:
            self.add(node, RDFS.comment, en(ev.comment))

    def entity(self, entity: model.Entity) -> None:
        if isinstance(entity, model.GeneProduct):
            self.gene_product(entity)
        elif isinstance(entity, model.Chemical):
            node = self.term(entity.chebi.text)
            for alias in entity.aliases:
                self.add(node, SKOS.altLabel, en(alias))
        elif isinstance(entity, model.MiRNA):
            self.mirna(entity)
        else:
            node = CX[entity.key]
            self.add(node, RDF.type, PROTEIN_COMPLEX)
            self.add(node, RDFS.label, en(entity.label))
            for sub in entity.subunits:
                self.add(node, HAS_PART, self.entity_iri(sub))

    def gene_product(self, gene: model.GeneProduct) -> None:
        node = URIRef(expand(f"uniprot:{gene.uniprot}"))
        record = self.index.get(gene.hgnc)
        assert record is not None, gene.hgnc  # identifier checks ran before the graph
        self.add(node, RDF.type, CLASTO.GeneProduct)
        self.add(node, RDFS.label, Literal(gene.key))
        name = record.synonyms[0] if record.synonyms else None
        for alt in dict.fromkeys(([name] if name else []) + gene.aliases):
            self.add(node, SKOS.altLabel, en(alt))
        self.add(node, IN_TAXON, self.term("NCBITaxon:9606"))
        self.add(node, SKOS.exactMatch, URIRef(expand(gene.hgnc)))
        for xref in record.xrefs:
            prefix = xref.split(":", 1)[0]
            if prefix in ("ncbigene", "ensembl"):
                self.add(node, SKOS.exactMatch, URIRef(expand(xref)))
        mgi = [x for x in record.xrefs if x.startswith("MGI:")]
        if gene.mouse_uniprot:
            mouse = URIRef(expand(f"uniprot:{gene.mouse_uniprot}"))
            self.add(node, ORTHOLOGOUS_TO, mouse)
            self.add(mouse, RDF.type, CLASTO.GeneProduct)
            self.add(mouse, IN_TAXON, self.term("NCBITaxon:10090"))
            mouse_record = self.index.get(mgi[0]) if mgi else None
            mouse_label = mouse_record.label if mouse_record else None
            self.add(mouse, RDFS.label, Literal(mouse_label or gene.key))
            for m in mgi:
                self.add(mouse, SKOS.exactMatch, URIRef(expand(m)))
        else:
            for m in mgi:
                self.add(node, ORTHOLOGOUS_TO, URIRef(expand(m)))

    def mirna(self, mirna: model.MiRNA) -> None:
        node = URIRef(expand(mirna.mirbase.text))
        term = self.index.get(mirna.mirbase.text)
        self.add(node, RDF.type, self.mirna_type(mirna.mirbase.text))
        self.add(node, RDFS.label, Literal(term.label if term else mirna.key))
        self.add(node, IN_TAXON, self.term("NCBITaxon:9606"))
        for alias in dict.fromkeys([mirna.key, *mirna.aliases]):
            self.add(node, SKOS.altLabel, en(alias))
        if term:
            for xref in term.xrefs:
                # A mature arm or a stem-loop is a product of its gene, not the gene (MIR214 also yields
                # miR-214-5p), so the gene is linked by "gene product of", never as an exact match.
                if xref.startswith(("ncbigene:", "HGNC:")):
                    self.add(node, GENE_PRODUCT_OF, URIRef(expand(xref)))
        if mirna.mouse_mirbase:
            mouse = URIRef(expand(mirna.mouse_mirbase.text))
            mterm = self.index.get(mirna.mouse_mirbase.text)
            self.add(node, ORTHOLOGOUS_TO, mouse)
            self.add(mouse, RDF.type, self.mirna_type(mirna.mouse_mirbase.text))
            self.add(mouse, RDFS.label, Literal(mterm.label if mterm else mirna.mouse_mirbase.text))
            self.add(mouse, IN_TAXON, self.term("NCBITaxon:10090"))

    def publications(self) -> None:
        cited_pmids = {ev.pmid for ev in self.curation.evidence.values() if ev.pmid}
        cited_dois = {ev.doi.lower() for ev in self.curation.evidence.values() if ev.doi}
        for fact in self.curation.facts:
            for note in fact.therapeutic_notes + fact.biomarker_notes:
                cited_pmids.update(note.pmids)
                cited_dois.update(d.lower() for d in note.dois)
        for ref in self.curation.bibliography:
            if ref.pmid in cited_pmids:
                node = PUBMED[ref.pmid]
            elif ref.doi and ref.doi.lower() in cited_dois:
                node = DOI[ref.doi]
            else:
                continue
            self.add(node, RDFS.label, Literal(ref.label))
            self.add(node, DCTERMS.title, Literal(ref.title))
            if ref.year:
                self.add(node, DCTERMS.date, Literal(ref.year, datatype=XSD.gYear))
            if ref.doi:
                self.add(node, DCTERMS.identifier, Literal(f"doi:{ref.doi}"))
                if node != DOI[ref.doi]:
                    self.add(node, OWL.sameAs, DOI[ref.doi])
            self.add(node, DCTERMS.isReferencedBy, REVIEW_IRI)
            self.add(node, CLASTO.bibliographyId, Literal(ref.ref_id))
        self.add(REVIEW_IRI, RDFS.label, Literal("Daponte et al., 2024 (eLife 13:e95083)"))
        self.add(
            REVIEW_IRI,
            DCTERMS.title,
            Literal(
                "Current perspectives on the multiple roles of osteoclasts: Mechanisms of osteoclast–osteoblast "
                "communication and potential clinical implications"
            ),
        )


def build_graph(curation: Curation, derived: dict[str, Derived], index: TermIndex) -> Graph:
    """The dataset graph (without the vocabulary)."""
    return GraphBuilder(curation, derived, index).build()
