"""GPML reading and GPML → wp: RDF: against WikiPathways' own files and its converter's published RDF."""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from clastordf.wikipathways.gpml_read import ALIASES, DATASOURCES, GpmlError, datasource, parse_gpml, read_gpml
from clastordf.wikipathways.wprdf import WP, WP_DATASET_IRI, dataset_wp, gpml_to_wp

PAIRS = ("WP4799", "WP5065")
EXAMPLES = ("WP12", "WP322", "WP2018", "WP1425", "WP428", "WP5545")
LISTED_TYPES = ("GeneProduct", "Protein", "Metabolite")  # the node types the -datanodes.tsv files list


@pytest.fixture(scope="module")
def gpml_dir(shared) -> Path:
    folder = shared / "gpml"
    if not (folder / "rdf-pairs").is_dir():
        pytest.skip(f"no GPML reference files at {folder}")
    return folder


@pytest.fixture(scope="module")
def dataset(real_build_dir) -> Graph:
    return Graph().parse(real_build_dir / "clastordf.ttl")


# --- reading ---------------------------------------------------------------------------------


def all_gpml(folder: Path) -> list[Path]:
    return sorted([*(folder / "examples").glob("*.gpml"), *(folder / "rdf-pairs").glob("*.gpml")])


def test_every_reference_gpml_parses(gpml_dir):
    files = all_gpml(gpml_dir)
    assert len(files) == len(EXAMPLES) + len(PAIRS)
    for path in files:
        pathway = read_gpml(path)
        assert pathway.title and pathway.organism == "Homo sapiens", path.name
        assert pathway.data_nodes and pathway.interactions, path.name
        for line in pathway.interactions:
            assert len(line.points) >= 2


@pytest.mark.parametrize("wpid", EXAMPLES)
def test_node_counts_match_the_datanodes_tables(gpml_dir, wpid):
    """WikiPathways' -datanodes.tsv has one row per distinct gene/protein/metabolite node (with its comment)."""
    pathway = read_gpml(gpml_dir / "examples" / f"{wpid}.gpml")
    with (gpml_dir / "examples" / f"{wpid}-datanodes.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    distinct = {
        (n.text_label, n.type, n.xref.database, n.xref.id, n.comments[0].text if n.comments else "")
        for n in pathway.data_nodes
        if n.xref.id.strip() and n.type in LISTED_TYPES
    }
    assert len(distinct) == len(rows)
    assert {r["Label"] for r in rows} == {d[0] for d in distinct}


def test_reader_keeps_what_converters_and_checks_need(gpml_dir):
    p = read_gpml(gpml_dir / "rdf-pairs" / "WP5065.gpml")
    assert p.version == "20210217" and p.revision is None
    assert p.descriptions[0].startswith("Mechanism of how the SARS-cov-2 virus")
    assert [t.id for t in p.ontology_tags] == ["DOID:0080600", "PW:0000013", "DOID:2945"]
    assert {x.pubmed for x in p.publications} >= {"33082294", "33395426"}
    furin = next(n for n in p.data_nodes if n.text_label == "FURIN")
    assert (furin.xref.database, furin.xref.id) == ("Ensembl", "ENSG00000140564")
    assert furin.biopax_refs == ("bac", "e34", "e47")
    assert [x.pubmed for x in p.cited(furin.biopax_refs)] == ["33395426", "33458558", "33442700"]
    assert furin.box is not None and furin.box.width == 90.0
    complex_ = p.groups[0]
    assert (complex_.group_id, complex_.graph_id, complex_.style) == ("f2297", "e0e95", "Complex")
    assert [m.graph_id for m in p.members(complex_)] == ["be74d", "c92a9"]
    binding = next(i for i in p.interactions if i.graph_id == "id43cd660f")
    assert (binding.start.graph_ref, binding.end.graph_ref, binding.end.arrowhead) == ("ecd5d", "b9e81", "mim-binding")
    assert binding.anchors[0].graph_id == "b7f6f"
    assert p.element("b7f6f") is None and p.anchor_owner("b7f6f") is binding
    assert p.element("e0e95") is complex_
    assert read_gpml(gpml_dir / "examples" / "WP5545.gpml").revision == "139134"


def test_reader_errors_name_file_line_and_element():
    with pytest.raises(GpmlError, match=r"^bad\.gpml:2: not well-formed XML"):
        parse_gpml('<?xml version="1.0"?>\n<Pathway', source="bad.gpml")
    head = '<Pathway xmlns="http://pathvisio.org/GPML/2013a" Name="x">\n'
    with pytest.raises(GpmlError, match=r"^x\.gpml:3: <Graphics>: CenterX is not a number: 'left'"):
        parse_gpml(
            head + '<DataNode TextLabel="A" GraphId="a" Type="GeneProduct">\n'
            '<Graphics CenterX="left" CenterY="1" Width="1" Height="1"/><Xref Database="" ID=""/></DataNode>'
            "</Pathway>",
            source="x.gpml",
        )
    with pytest.raises(GpmlError, match=r"^x\.gpml:2: <Interaction>: a line needs at least two Points, found 1"):
        parse_gpml(
            head + '<Interaction GraphId="i"><Graphics><Point X="1" Y="2"/></Graphics></Interaction></Pathway>',
            source="x.gpml",
        )
    with pytest.raises(GpmlError, match="is not GPML 2013a"):
        parse_gpml('<Pathway xmlns="http://pathvisio.org/GPML/2021" Name="x"/>', source="new.gpml")
    with pytest.raises(GpmlError, match="not a GPML pathway"):
        parse_gpml("<html/>", source="page.html")


def test_datasources_are_bridgedbs(gpml_dir):
    """The data source table is read from the package's copy of BridgeDb's datasources.tsv."""
    shipped = files("clastordf").joinpath("data", "bridgedb-datasources.tsv").read_bytes()
    assert shipped == (gpml_dir / "bridgedb" / "datasources.tsv").read_bytes()
    entrez = datasource("Entrez Gene")
    assert (entrez.code, entrez.namespace, entrez.pattern) == ("L", "ncbigene", r"^\d+$")
    assert datasource("Uniprot-TrEMBL").name == datasource("uniprotkb").name == "UniProtKB"
    assert datasource("Agilent").namespace is None  # no identifiers.org namespace: the converter skips it
    assert all(ds.name in {d.name for d in DATASOURCES} for ds in map(datasource, ALIASES))


# --- conversion as WikiPathways does it --------------------------------------------------------

EXTERNAL = (OWL.sameAs,)  # from BridgeDb / web services the converter calls; not reproducible offline


def offline_part(graph: Graph) -> set:
    """The triples that need no external service: no wp:bdb* mappings, InChIKeys, DOIs of PubMed ids."""
    out = set()
    for s, p, o in graph:
        if str(p).startswith(str(WP) + "bdb") or p in EXTERNAL or str(s).startswith("https://doi.org/"):
            continue
        if p == RDFS.seeAlso and "/inchikey/" in str(o):
            continue
        out.add((s, p, o))
    return out


def shape(triples: set) -> tuple[set, set]:
    """The classes used and the properties used."""
    return {o for _, p, o in triples if p == RDF.type}, {p for _, p, _ in triples}


@pytest.mark.parametrize("wpid", PAIRS)
def test_conversion_reproduces_the_published_rdf(gpml_dir, wpid):
    folder = gpml_dir / "rdf-pairs"
    published = Graph().parse(folder / f"{wpid}.wp.ttl")
    ours = gpml_to_wp(read_gpml(folder / f"{wpid}.gpml"), wpid, (folder / f"{wpid}.gpml.rev").read_text().strip())
    assert shape(offline_part(ours)) == shape(offline_part(published))
    # Every triple that does not come from BridgeDb or another web service is the same, both ways.
    assert offline_part(ours) == offline_part(published)
    # The wp:bdb* links we can make offline (each node's own id) are among the published ones.
    bdb = {t for t in ours if str(t[1]).startswith(str(WP) + "bdb")}
    assert bdb and bdb <= set(published)


def test_conversion_details(gpml_dir):
    g = gpml_to_wp(read_gpml(gpml_dir / "rdf-pairs" / "WP5065.gpml"), "WP5065", "124651")
    pw = URIRef("https://identifiers.org/wikipathways/WP5065_r124651")
    interaction = URIRef("http://rdf.wikipathways.org/Pathway/WP5065_r124651/WP/Interaction/")
    assert (
        pw,
        URIRef("http://purl.org/dc/elements/1.1/title"),
        Literal("SARS-CoV-2 altering angiogenesis via NRP1", lang="en"),
    ) in g
    # A line ending on another line's anchor regulates that interaction.
    assert (interaction + "id9a9099b7", WP.target, interaction + "id43cd660f") in g
    # Lines ending on a Group do not resolve in WikiPathways' converter, so they are not there …
    assert (interaction + "id3790eadf", None, None) not in g
    # … unless asked for: then they end on the wp:Complex.
    kept = gpml_to_wp(read_gpml(gpml_dir / "rdf-pairs" / "WP5065.gpml"), "WP5065", "124651", group_endpoints=True)
    cx = URIRef("http://rdf.wikipathways.org/Pathway/WP5065_r124651/Complex/e0e95")
    assert (interaction + "id3790eadf", WP.target, cx) in kept


@pytest.mark.parametrize("wpid", EXAMPLES)
def test_every_example_converts(gpml_dir, wpid):
    pathway = read_gpml(gpml_dir / "examples" / f"{wpid}.gpml")
    g = gpml_to_wp(pathway, wpid, pathway.revision or "0")
    pw = URIRef(f"https://identifiers.org/wikipathways/{wpid}_r{pathway.revision}")
    assert (pw, RDF.type, WP.Pathway) in g
    assert (pw, WP.organism, URIRef("http://purl.obolibrary.org/obo/NCBITaxon_9606")) in g
    nodes = set(g.subjects(RDF.type, WP.DataNode))
    assert nodes and all((n, DCTERMS.isPartOf, pw) in g for n in nodes)
    for tag in pathway.ontology_tags:
        assert (pw, WP.ontologyTag, URIRef("http://purl.obolibrary.org/obo/" + tag.id.replace(":", "_"))) in g


def test_wp12_osteoclast_signaling(gpml_dir):
    g = gpml_to_wp(read_gpml(gpml_dir / "examples" / "WP12.gpml"), "WP12", "139888")
    pw = URIRef("https://identifiers.org/wikipathways/WP12_r139888")
    rankl = URIRef("https://identifiers.org/ncbigene/8600")
    assert (rankl, RDF.type, WP.Protein) in g and (rankl, RDFS.label, Literal("RANK ligand")) in g
    assert (rankl, WP.bdbEntrezGene, rankl) in g
    assert (pw, WP.cellTypeOntologyTag, URIRef("http://purl.obolibrary.org/obo/CL_0000092")) in g
    assert (pw, WP.pathwayOntologyTag, URIRef("http://purl.obolibrary.org/obo/PW_0000650")) in g


SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<Pathway xmlns="http://pathvisio.org/GPML/2013a" Name="Lines" Organism="Mus musculus">
  <DataNode TextLabel="A" GraphId="a" Type="GeneProduct"><Graphics CenterX="0" CenterY="0" Width="1" Height="1"/>
    <Xref Database="Entrez Gene" ID="1" /></DataNode>
  <DataNode TextLabel="B" GraphId="b" Type="GeneProduct"><Graphics CenterX="0" CenterY="0" Width="1" Height="1"/>
    <Xref Database="Entrez Gene" ID="2" /></DataNode>
  <DataNode TextLabel="C" GraphId="c" Type="Metabolite"><Graphics CenterX="0" CenterY="0" Width="1" Height="1"/>
    <Xref Database="HMDB" ID="HMDB00001" /></DataNode>
  <DataNode TextLabel="D" GraphId="d" Type="Unknown"><Graphics CenterX="0" CenterY="0" Width="1" Height="1"/>
    <Xref Database="Entrez Gene" ID="4" /></DataNode>
  <Interaction GraphId="both"><Graphics><Point X="0" Y="0" GraphRef="a" ArrowHead="Arrow"/>
    <Point X="1" Y="1" GraphRef="b" ArrowHead="Arrow"/></Graphics><Xref Database="" ID=""/></Interaction>
  <Interaction GraphId="plain"><Graphics><Point X="0" Y="0" GraphRef="a"/><Point X="1" Y="1" GraphRef="c"/>
    <Anchor Position="0.5" GraphId="anc"/></Graphics><Xref Database="Rhea" ID="12345"/></Interaction>
  <Interaction GraphId="reg"><Graphics><Point X="0" Y="0" GraphRef="b"/>
    <Point X="1" Y="1" GraphRef="anc" ArrowHead="mim-catalysis"/></Graphics><Xref Database="" ID=""/></Interaction>
  <Interaction GraphId="unknown"><Graphics><Point X="0" Y="0" GraphRef="a"/>
    <Point X="1" Y="1" GraphRef="d" ArrowHead="Arrow"/></Graphics><Xref Database="" ID=""/></Interaction>
  <InfoBox CenterX="0" CenterY="0"/>
</Pathway>"""


def test_reversible_undirected_and_regulating_lines():
    g = gpml_to_wp(parse_gpml(SMALL), "WP0", "1")
    base = "http://rdf.wikipathways.org/Pathway/WP0_r1/WP/Interaction/"
    a, b = URIRef("https://identifiers.org/ncbigene/1"), URIRef("https://identifiers.org/ncbigene/2")
    c = URIRef("https://identifiers.org/hmdb/HMDB0000001")  # short HMDB ids are padded, as WikiPathways does
    assert (URIRef(base + "both_1"), WP.source, a) in g and (URIRef(base + "both_1"), WP.target, b) in g
    assert (URIRef(base + "both_2"), WP.source, b) in g and (URIRef(base + "both_2"), WP.target, a) in g
    plain = URIRef(base + "plain")
    assert set(g.objects(plain, RDF.type)) == {WP.Interaction}
    assert set(g.objects(plain, WP.participants)) == {a, c}
    assert (URIRef(base + "reg"), RDF.type, WP.Catalysis) in g
    assert (URIRef(base + "reg"), WP.source, b) in g and (URIRef(base + "reg"), WP.target, plain) in g
    assert (URIRef(base + "unknown"), None, None) not in g  # Unknown-typed nodes are not converted
    assert (None, WP.organism, URIRef("http://purl.obolibrary.org/obo/NCBITaxon_10090")) in g


# --- our own pathway --------------------------------------------------------------------------

OURS = """<?xml version="1.0" encoding="UTF-8"?>
<Pathway xmlns="http://pathvisio.org/GPML/2013a" Name="Clastokines" Version="0.1.0" Organism="Homo sapiens">
  <Comment Source="WikiPathways-description">Factors osteoclasts release to steer osteoblast-lineage cells.</Comment>
  <BiopaxRef>review</BiopaxRef>
  <Graphics BoardWidth="600.0" BoardHeight="400.0" />
  <DataNode TextLabel="S1P" GraphId="s1p" Type="Metabolite">
    <Graphics CenterX="100" CenterY="50" Width="120" Height="25" /><Xref Database="ChEBI" ID="CHEBI:37550" />
  </DataNode>
  <DataNode TextLabel="S1PR3" GraphId="s1pr3" Type="GeneProduct">
    <Graphics CenterX="300" CenterY="50" Width="90" Height="25" /><Xref Database="Uniprot-TrEMBL" ID="Q99500" />
  </DataNode>
  <DataNode TextLabel="LIF" GraphId="lif" Type="GeneProduct">
    <Graphics CenterX="100" CenterY="150" Width="90" Height="25" /><Xref Database="Entrez Gene" ID="3976" />
  </DataNode>
  <DataNode TextLabel="LIFR" GraphId="lifr" Type="GeneProduct" GroupRef="lifr-il6st">
    <Graphics CenterX="300" CenterY="140" Width="90" Height="20" /><Xref Database="UniProtKB" ID="P42702" />
  </DataNode>
  <DataNode TextLabel="IL6ST" GraphId="il6st" Type="GeneProduct" GroupRef="lifr-il6st">
    <Graphics CenterX="300" CenterY="160" Width="90" Height="20" /><Xref Database="Ensembl" ID="ENSG00000134352" />
  </DataNode>
  <DataNode TextLabel="miR-214-3p" GraphId="mir214" Type="Rna">
    <Graphics CenterX="100" CenterY="250" Width="120" Height="25" />
    <Xref Database="miRBase mature sequence" ID="MIMAT0000271" />
  </DataNode>
  <Interaction GraphId="s1p-s1pr3">
    <Graphics><Point X="160" Y="50" GraphRef="s1p" /><Point X="255" Y="50" GraphRef="s1pr3" ArrowHead="mim-binding" />
    </Graphics><Xref Database="" ID="" />
  </Interaction>
  <Interaction GraphId="lif-receptor">
    <Comment Source="clastordf">https://w3id.org/clastordf/fact/CF0300</Comment>
    <Graphics><Point X="145" Y="150" GraphRef="lif" /><Point X="255" Y="150" GraphRef="lifr-il6st-g"
      ArrowHead="mim-stimulation" /></Graphics><Xref Database="" ID="" />
  </Interaction>
  <Group GroupId="lifr-il6st" GraphId="lifr-il6st-g" Style="Complex" TextLabel="LIFR–gp130" />
  <InfoBox CenterX="0.0" CenterY="0.0" />
  <Biopax>
    <bp:PublicationXref xmlns:bp="http://www.biopax.org/release/biopax-level3.owl#"
        xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:id="review">
      <bp:ID>38597191</bp:ID><bp:DB>PubMed</bp:DB>
    </bp:PublicationXref>
    <bp:openControlledVocabulary xmlns:bp="http://www.biopax.org/release/biopax-level3.owl#">
      <bp:TERM>signaling pathway</bp:TERM><bp:ID>PW:0000003</bp:ID><bp:Ontology>Pathway Ontology</bp:Ontology>
    </bp:openControlledVocabulary>
  </Biopax>
</Pathway>"""

PREFIXES = """PREFIX wp: <http://vocabularies.wikipathways.org/wp#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dc: <http://purl.org/dc/elements/1.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX void: <http://rdfs.org/ns/void#>
"""


@pytest.fixture(scope="module")
def ours(dataset) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    triples = dataset_wp(dataset, OURS, "0.1.0").serialize(format="nt").encode()
    store.load(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def rows(store: pyoxigraph.Store, query: str) -> set[tuple[str, ...]]:
    return {tuple(term.value for term in row) for row in store.query(PREFIXES + query)}


def test_genes_of_the_pathway(ours):
    got = rows(
        ours,
        """SELECT DISTINCT ?gene ?label WHERE {
        ?pw a wp:Pathway ; dcterms:identifier "clastokines" .
        ?gene a wp:GeneProduct ; dcterms:isPartOf ?pw ; rdfs:label ?label }""",
    )
    assert ("https://identifiers.org/uniprot/Q99500", "S1PR3") in got
    assert ("https://identifiers.org/ncbigene/3976", "LIF") in got
    assert len(got) == 4  # the miRNA is a wp:Rna


def test_linkouts_come_from_the_dataset(ours):
    got = rows(ours, "SELECT ?node ?ncbi WHERE { ?node wp:bdbEntrezGene ?ncbi }")
    assert ("https://identifiers.org/uniprot/Q99500", "https://identifiers.org/ncbigene/1903") in got
    assert ("https://identifiers.org/ensembl/ENSG00000134352", "https://identifiers.org/ncbigene/3572") in got
    assert ("https://identifiers.org/mirbase.mature/MIMAT0000271", "https://identifiers.org/ncbigene/406996") in got
    assert rows(
        ours,
        """SELECT ?s WHERE { <https://identifiers.org/ncbigene/3976> wp:bdbUniprot ?u ;
        wp:bdbHgncSymbol ?s ; wp:bdbEnsembl ?e }""",
    ) == {("https://identifiers.org/hgnc.symbol/LIF",)}
    assert rows(ours, "SELECT ?c WHERE { ?m a wp:Metabolite ; wp:bdbChEBI ?c }") == {
        ("https://identifiers.org/chebi/CHEBI:37550",)
    }


def test_interactions_with_their_references(ours, dataset):
    got = rows(
        ours,
        """SELECT ?source ?target ?ref WHERE {
        ?i a wp:DirectedInteraction ; wp:source ?source ; wp:target ?target ; dcterms:references ?ref .
        ?ref a wp:PublicationReference }""",
    )
    s1p = {r for s, t, r in got if s == "https://identifiers.org/chebi/CHEBI:37550"}
    cf0200 = {str(o) for o in dataset.objects(URIRef("https://w3id.org/clastordf/fact/CF0200"), DCTERMS.references)}
    assert s1p == cf0200  # S1P → S1PR3 is drawn by CF0200 only
    lif = {(t, r) for s, t, r in got if s == "https://identifiers.org/ncbigene/3976"}
    assert {t for t, _ in lif} == {"https://w3id.org/clastordf/pathway/Pathway/clastokines_r0.1.0/Complex/lifr-il6st-g"}
    cf0300 = {str(o) for o in dataset.objects(URIRef("https://w3id.org/clastordf/fact/CF0300"), DCTERMS.references)}
    assert {r for _, r in lif} == cf0300


def test_metabolites_and_ontology_tags(ours):
    assert rows(ours, "SELECT ?m ?l WHERE { ?m a wp:Metabolite ; rdfs:label ?l }") == {
        ("https://identifiers.org/chebi/CHEBI:37550", "S1P")
    }
    tags = {t for (t,) in rows(ours, "SELECT ?t WHERE { ?pw a wp:Pathway ; wp:ontologyTag ?t }")}
    assert "http://purl.obolibrary.org/obo/PW_0000003" in tags
    cells = {t for (t,) in rows(ours, "SELECT ?t WHERE { ?pw wp:cellTypeOntologyTag ?t }")}
    assert {"http://purl.obolibrary.org/obo/CL_0000092", "http://purl.obolibrary.org/obo/CL_0000062"} <= cells
    assert rows(ours, "SELECT ?p WHERE { ?p a wp:Pathway ; wp:organismName ?o ; wp:pathwayOntologyTag ?t }")


def test_complex_and_void(ours):
    got = rows(ours, """SELECT ?member WHERE { ?c a wp:Complex ; wp:participants ?member }""")
    assert got == {("https://identifiers.org/uniprot/P42702",), ("https://identifiers.org/ensembl/ENSG00000134352",)}
    assert rows(
        ours,
        f"""SELECT ?v WHERE {{ <{WP_DATASET_IRI}> a void:Dataset ;
        <http://purl.org/pav/version> ?v ; void:vocabulary wp: }}""",
    ) == {("0.1.0",)}


def test_our_own_export_converts(dataset):
    """The pathway the build exports converts to wp: RDF with its gene links."""
    from clastordf.wikipathways.gpml_write import pathway_gpml

    wp = dataset_wp(dataset, pathway_gpml(dataset, "0.1.0"), "0.1.0")
    assert set(wp.subjects(RDF.type, WP.Pathway))
    assert set(wp.objects(None, WP.bdbEntrezGene))


def test_an_interaction_citing_its_own_evidence_keeps_it(dataset):
    opening = '<Interaction GraphId="s1p-s1pr3">'
    cited = OURS.replace(opening, opening + "<BiopaxRef>review</BiopaxRef>")
    wp = dataset_wp(dataset, cited, "0.1.0")
    interaction = URIRef("https://w3id.org/clastordf/pathway/Pathway/clastokines_r0.1.0/WP/Interaction/s1p-s1pr3")
    assert set(wp.objects(interaction, DCTERMS.references)) == {URIRef("https://identifiers.org/pubmed/38597191")}
