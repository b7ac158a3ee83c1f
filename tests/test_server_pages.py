"""The linked-data pages: HTML pages, dereferencing with content negotiation, downloads, VoID, health."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from urllib.parse import quote

import pytest
import rdflib
from rdflib import URIRef

BASE = "https://w3id.org/clastordf/"
CF = BASE + "fact/"
UNIPROT = "https://identifiers.org/uniprot/"
OBO = "http://purl.obolibrary.org/obo/"
RDF_TYPES = {  # extension -> (media type, rdflib parser)
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


def text(response) -> str:
    return response.get_data(as_text=True)


def parse(response, fmt: str) -> rdflib.Graph:
    g = rdflib.Graph()
    g.parse(data=response.get_data(), format=fmt)
    return g


def hrefs(page: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', page)


# -- pages -----------------------------------------------------------------------------------------


def test_home_shows_counts_licence_citation_and_links(client):
    r = client.get("/")
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert "clastordf" in page and "CC0" in page and "10.7554/eLife.95083" in page
    for label in (
        "facts",
        "clastokine facts",
        "regulation facts",
        "contested facts",
        "evidence lines",
        "cited publications",
        "genes, small molecules and miRNAs",
        "triples",
        "clastokines by the ontology's definition",
    ):
        assert f"<th>{label}" in page, label
    links = hrefs(page)
    for target in (
        "/facts",
        "/query",
        "/vocab",
        "/downloads",
        "/sparql",
        "/downloads/clastordf.ttl",
        "/facts?contested=true",
    ):
        assert target in links, target
    contested = client.get("/facts.json", query_string={"contested": "true"}).get_json()["count"]
    assert f'<a href="/facts?contested=true">{contested}</a>' in page and contested > 0
    assert "status" not in page.lower().replace('role="status"', "")
    for axis in ("review's category", "evidence level", "contests"):
        assert axis in page, axis


def test_nav_is_on_every_page(client):
    for path in ("/", "/facts", "/query", "/vocab", "/downloads", "/fact/CF0200", "/evidence/E0100"):
        page = text(client.get(path))
        for target in ("/facts", "/query", "/vocab", "/downloads", "/sparql"):
            assert f'href="{target}"' in page, (path, target)
        assert "static/style.css" in page


def test_fact_page_s1p(client):
    r = client.get("/fact/CF0200")
    assert r.status_code == 200
    page = text(r)
    assert "Sphingosine-1-phosphate made by SPHK1" in page
    # ligand (ChEBI S1P) links to its entity page on this server
    assert "/entity?iri=" + quote(OBO + "CHEBI_37550", safe="") in page
    for word in (
        "S1PR3",
        "osteoclast",
        "osteoblast",
        "osteoblast differentiation",
        "secreted",
        "Inferred classes",
        "inferred at build time",
        "clastokine",
        "coupling factor",
    ):
        assert word.lower() in page.lower(), word
    # the three axes, each on its own: the review's category (a clastokine), the evidence level (in vitro
    # only: its one in vivo effect, bone formation, is the contested claim) and contested (the review
    # questions its in vivo anabolic mode, s8)
    assert "<th>Review category</th>" in page and 'href="/vocab#SecretedClastokines"' in page
    assert "<th>Evidence level</th>" in page and 'class="badge level level-invitroonly"' in page
    assert "<th>Contested</th><td>no</td>" not in page and 'class="notice contested"' in page
    assert "<th>Produced by</th>" in page and "Released from the matrix by" not in page
    assert "<th>Status</th>" not in page and 'class="status' not in page
    # claims with their evidence, PubMed and DOI links, source location in the review
    assert 'href="/fact/CF0200-c1"' in page and 'href="/evidence/E0300"' in page
    assert "https://pubmed.ncbi.nlm.nih.gov/" in page and "https://doi.org/" in page
    assert "table1-row5" in page
    assert "Promotes (contested)" in page and "Disputing references" in page


def test_fact_page_of_an_uncontested_fact(client):
    page = text(client.get("/fact/CF0215"))  # C3a: settled, with in vivo support (s10, Table 1 row 10)
    assert "<th>Contested</th><td>no</td>" in page
    assert 'class="badge level level-invivosupport"' in page
    assert 'class="notice contested"' not in page and 'class="badge contested"' not in page
    assert "(contested)" not in page and "Disputing references" not in page


def section(page: str, heading: str) -> str:
    """The HTML from a heading to the next one of its level."""
    level = re.search(rf"<(h[1-6])>{re.escape(heading)}</h[1-6]>", page)
    assert level, heading
    rest = page[level.end() :]
    return rest.split(f"<{level.group(1)}>", 1)[0]


def test_fact_page_slit3_is_marked_contested_with_disputing_evidence(client):
    page = text(client.get("/fact/CF0320"))
    assert 'class="notice contested"' in page and "<strong>Contested.</strong>" in page
    notice = page.split('class="notice contested"', 1)[1].split("</div>\n", 1)[0]
    # the notice names the disputed claim and the disputing studies (Xu et al. 2018, Li et al. 2020)
    assert 'href="#CF0320-c1"' in notice
    for pmid in ("32133214", "29785024"):
        assert f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" in notice, pmid
    disputing = section(page, "Disputing references")
    assert "Osteoclasts are not a source of SLIT3" in disputing and "Li et al., 2020" in disputing
    supporting = section(page, "Supporting references")
    assert "32133214" not in supporting and "29504949" in supporting  # Kim et al. 2018 supports
    assert "SLIT3" in page and "ROBO1" in page and "ROBO2" in page
    assert "disputes" in page and 'href="/evidence/E0658"' in page
    assert "biomarker" in page
    # the osteoclast source is only claimed by the disputed claim: a contested value, not a settled one
    assert re.search(r'<tr class="contested"><th>Source cell type \(contested\)</th><td>[^\n]*>osteoclast</a>', page)
    assert "<th>Produced by</th>" not in page
    # contested is its own axis: the evidence level and review category are still shown
    assert 'class="badge contested"' in page and 'href="/vocab#SecretedClastokines"' in page
    assert "<th>Evidence level</th>" in page
    # the human node stands for the mouse gene that was studied
    assert "human gene by orthology from" in page and "/entity?iri=" + quote(UNIPROT + "Q9WVB4", safe="") in page


def test_fact_page_pdgf_bb_shows_contested_values_beside_settled_ones(client):
    page = text(client.get("/fact/CF0405"))
    assert 'class="notice contested"' in page and 'class="badge contested"' in page
    assert 'href="/vocab#PutativeClastokines"' in page and 'class="badge level level-invitroonly"' in page
    promotes = re.search(r"<th>Promotes</th><td>(.*?)</td>", page).group(1)
    contested_promotes = re.search(r"<th>Promotes \(contested\)</th><td>(.*?)</td>", page).group(1)
    contested_inhibits = re.search(r"<th>Inhibits \(contested\)</th><td>(.*?)</td>", page).group(1)
    assert "GO_0033687" in promotes and "GO_0001503" not in promotes  # proliferation settled, ossification not
    assert "GO_0001503" in contested_promotes and "GO_0001649" in contested_inhibits
    assert "<th>Inhibits</th>" not in page
    disputing = section(page, "Disputing references")
    # the review itself (s20, Table 1 row 20*), Sanchez-Fernandez et al. 2008 (the preosteoclast source) and
    # Borggaard et al. 2022 (no PDGFRB on human reversal cells)
    for pmid in ("18953417", "35775083"):
        assert f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" in disputing, pmid
    assert "https://doi.org/10.7554/eLife.95083" in disputing
    claims = section(page, "Claims and evidence")
    assert claims.count('<div class="claim contested"') >= 1 and 'class="contested-note"' in claims


def test_matrix_derived_fact_is_released_not_produced(client):
    page = text(client.get("/fact/CF0100"))  # TGF-β1 from the bone matrix
    assert re.search(r"<th>Released from the matrix by</th><td>[^\n]*>osteoclast</a>", page)
    assert "<th>Produced by</th>" not in page
    assert 'href="/vocab#MatrixDerivedFactors"' in page and "<th>Contested</th><td>no</td>" in page


def test_contested_regulation_fact(client):
    page = text(client.get("/fact/CF0322"))  # RANKL induces SLIT3, disputed
    assert re.search(r"<th>Upregulates \(contested\)</th><td>[^\n]*>SLIT3</a>", page)
    # the settled steps (RANKL raises NF-κB p50 and CREB, Table 1 row 14) stay settled
    settled = re.search(r"<th>Upregulates</th><td>(.*?)</td>", page).group(1)
    assert "NFKB1" in settled and "CREB1" in settled and "SLIT3" not in settled
    assert 'class="notice contested"' in page


def test_claim_page(client):
    page = text(client.get("/fact/CF0320-c1"))
    assert "produced by" in page and "SLIT3" in page and 'href="/fact/CF0320"' in page
    assert 'href="/evidence/E0658"' in page
    assert 'class="badge contested"' in page and 'class="contested-note"' in page
    assert 'class="badge level level-invivosupport"' in page
    settled = text(client.get("/fact/CF0320-c2"))  # SLIT3 binds ROBO1: not disputed
    assert 'class="badge contested"' not in settled and 'class="badge level level-invitroonly"' in settled
    assert "level-override" not in settled


def test_evidence_page(client):
    r = client.get("/evidence/E0658")
    assert r.status_code == 200
    page = text(r)
    assert "expression pattern evidence" in page and "Mus musculus" in page
    assert "https://pubmed.ncbi.nlm.nih.gov/29785024/" in page and "doi:10.1038/s41591-018-0020-z" in page
    assert 'href="/fact/CF0320"' in page and "disputes" in page
    assert 'class="badge contested"' in page  # the claim it bears on is contested


def test_complex_page_lists_subunits_and_facts(client):
    page = text(client.get("/complex/LIFR-IL6ST"))
    assert "LIFR–gp130 receptor complex" in page
    assert "Subunits" in page and "LIFR" in page and "IL6ST" in page
    assert 'href="/fact/CF0300"' in page


def test_entity_page_for_a_gene_product(client):
    r = client.get("/entity", query_string={"iri": UNIPROT + "Q9NYA1"})
    assert r.status_code == 200
    page = text(r)
    assert "SPHK1" in page and "sphingosine kinase 1" in page
    assert "https://www.ncbi.nlm.nih.gov/gene/8877" in page  # identifiers resolve to the databases
    assert "Sphk1" in page  # mouse ortholog
    for fact in ("CF0200", "CF0232"):  # claim subject, regulation target
        assert f'href="/fact/{fact}"' in page


def test_entity_page_for_a_receptor_lists_its_facts(client):
    page = text(client.get("/entity", query_string={"iri": UNIPROT + "Q99500"}))  # S1PR3
    assert "S1PR3" in page and 'href="/fact/CF0200"' in page and "receptor" in page


def test_entity_page_for_a_complex_subunit(client):
    page = text(client.get("/entity", query_string={"iri": UNIPROT + "P42702"}))  # LIFR
    assert 'href="/complex/LIFR-IL6ST"' in page and "complex subunit" in page
    assert 'href="/fact/CF0300"' in page


def test_term_page_for_a_cell_type(client):
    r = client.get("/term", query_string={"iri": OBO + "CL_0000092"})
    assert r.status_code == 200
    page = text(r)
    assert "osteoclast" in page and "Parents" in page
    assert 'href="/fact/CF0200"' in page and "producing cell type" in page


def test_mirna_precursor_page_links_its_gene(client):
    page = text(client.get("/entity", query_string={"iri": "https://identifiers.org/mirbase/MI0000813"}))
    assert "hsa-mir-324" in page and "miRNA precursor" in page
    assert "<th>Gene product of</th>" in page
    assert "https://www.ncbi.nlm.nih.gov/gene/442898" in page


def test_publication_page(client):
    page = text(client.get("/entity", query_string={"iri": "https://identifiers.org/pubmed/32133214"}))
    assert "Osteoclasts are not a source of SLIT3" in page and 'href="/evidence/E0659"' in page


def test_entity_under_the_base_redirects_to_its_path(client):
    r = client.get("/entity", query_string={"iri": CF + "CF0200"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/fact/CF0200")


def test_vocab_page_has_an_anchor_for_every_term(client, app):
    from clastordf.server import state

    page = text(client.get("/vocab"))
    with app.app_context():
        rows = state().store.query(
            'SELECT DISTINCT ?t WHERE { ?t ?p ?o FILTER(STRSTARTS(STR(?t), "https://w3id.org/clastordf/vocab#")) }',
            use_default_graph_as_union=True,
        )
        terms = [row["t"].value.split("#", 1)[1] for row in rows]
    assert len(terms) > 40
    for local in terms:
        assert f'id="{local}"' in page, local
    assert 'href="/downloads/clastordf.owl"' in page  # the build page's relative links made local


def test_vocab_term_paths_redirect_to_the_anchor(client):
    r = client.get("/vocab/Clastokine")
    assert r.status_code == 303 and r.headers["Location"].endswith("/vocab#Clastokine")


def test_dataset_and_graph_resources(client):
    for path in ("/dataset", "/dataset/inferred", "/dataset/reasoning", "/graph/0.1.0"):
        assert client.get(path).status_code == 200, path
        g = parse(client.get(path + ".ttl"), "turtle")
        assert (URIRef(BASE + path[1:]), None, None) in g, path
    assert client.get("/graph/9.9.9").status_code == 404


def test_the_home_page_of_a_build_does_not_call_it_a_release(client):
    home = client.get("/").get_data(as_text=True)
    assert "An unreleased build of version <strong>0.1.0</strong>, which may still change" in home
    assert "Release <strong>" not in home


def test_an_unreleased_version_iri_says_so_and_links_the_build(client):
    r = client.get("/releases/0.1.0/clastordf.owl")
    assert r.status_code == 404 and "has not been released" in r.get_data(as_text=True)
    assert r.headers["Link"] == '</downloads/clastordf.owl>; rel="alternate"'
    assert client.get("/downloads/clastordf.owl").mimetype == "application/rdf+xml"


# -- content negotiation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,iri",
    [
        ("/fact/CF0200", CF + "CF0200"),
        ("/fact/CF0200-c1", CF + "CF0200-c1"),
        ("/evidence/E0100", BASE + "evidence/E0100"),
        ("/complex/LIFR-IL6ST", BASE + "complex/LIFR-IL6ST"),
        ("/dataset", BASE + "dataset"),
    ],
)
@pytest.mark.parametrize("ext", sorted(RDF_TYPES))
def test_rdf_by_accept_and_by_extension(client, path, iri, ext):
    media, parser = RDF_TYPES[ext]
    for r in (client.get(path, headers={"Accept": media}), client.get(f"{path}.{ext}")):
        assert r.status_code == 200 and r.mimetype == media
        g = parse(r, parser)
        assert (URIRef(iri), None, None) in g
        assert "Accept" in r.headers.get("Vary", "")
        link = r.headers["Link"]
        for other_media, _ in RDF_TYPES.values():
            assert f'type="{other_media}"' in link
        assert 'rel="alternate"' in link and f"<{path}.ttl>" in link


def test_fact_rdf_includes_its_claims(client):
    g = parse(client.get("/fact/CF0320.ttl"), "turtle")
    claim = URIRef(CF + "CF0320-c1")
    assert (URIRef(CF + "CF0320"), URIRef("https://w3id.org/clastordf/vocab#hasClaim"), claim) in g
    assert (claim, URIRef("https://w3id.org/clastordf/vocab#disputedBy"), None) in g


def test_vocab_rdf_has_the_terms_and_their_axioms(client):
    g = parse(client.get("/vocab", headers={"Accept": "text/turtle"}), "turtle")
    clastokine = URIRef("https://w3id.org/clastordf/vocab#Clastokine")
    assert (clastokine, rdflib.RDFS.label, None) in g
    assert (clastokine, rdflib.OWL.equivalentClass, None) in g  # blank-node axioms come along
    assert (URIRef("https://w3id.org/clastordf/vocab"), rdflib.RDF.type, rdflib.OWL.Ontology) in g


def test_entity_rdf(client):
    iri = UNIPROT + "Q9NYA1"
    r = client.get("/entity", query_string={"iri": iri}, headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json"
    assert (URIRef(iri), rdflib.RDFS.label, rdflib.Literal("SPHK1")) in parse(r, "json-ld")
    r = client.get("/entity", query_string={"iri": iri, "format": "nt"})
    assert r.mimetype == "application/n-triples"


@pytest.mark.parametrize(
    "accept,media",
    [
        ("text/html;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("application/ld+json;q=0.2, application/n-triples", "application/n-triples"),
        ("text/turtle;q=0.1, application/rdf+xml;q=0.8, text/html;q=0.3", "application/rdf+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/html"),
        ("", "text/html"),
    ],
)
def test_q_values(client, accept, media):
    r = client.get("/fact/CF0200", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.mimetype == media
    assert "Accept" in r.headers["Vary"]
    assert 'rel="alternate"' in r.headers["Link"]


def test_html_extension_and_format_parameter(client):
    assert client.get("/fact/CF0200.html", headers={"Accept": "text/turtle"}).mimetype == "text/html"
    assert client.get("/fact/CF0200?format=ttl").mimetype == "text/turtle"


def test_404s(client):
    for path in ("/fact/CF9999", "/evidence/E9999", "/complex/NOPE", "/nothing/here"):
        r = client.get(path)
        assert r.status_code == 404 and r.mimetype == "text/html", path
        assert 'href="/facts"' in text(r)
        r = client.get(path, headers={"Accept": "text/turtle"})
        assert r.status_code == 404 and r.mimetype == "text/plain", path
        assert client.get(path + ".ttl").status_code == 404
    assert client.get("/entity", query_string={"iri": "https://example.org/unknown"}).status_code == 404
    assert client.get("/entity").status_code == 404
    assert client.get("/downloads/oxigraph").status_code == 404
    assert client.get("/downloads/..%2Fclastordf.ttl").status_code == 404
    assert client.get("/facts.xml").status_code == 404


def test_user_input_is_escaped(client):
    r = client.get("/entity", query_string={"iri": "<script>alert(1)</script>"})
    assert r.status_code == 404
    assert "<script>alert" not in text(r) and "&lt;script&gt;" in text(r)


# -- facts list ------------------------------------------------------------------------------------

CLASTO = "https://w3id.org/clastordf/vocab#"


def store_facts(app, where: str) -> set[str]:
    """The ids of the facts matching a SPARQL pattern on ``?f``, read from the store itself."""
    from clastordf.server import state

    query = (
        f"PREFIX clasto: <{CLASTO}> SELECT DISTINCT ?f WHERE {{ VALUES ?t {{ clasto:ClastokineFact "
        f"clasto:RegulationFact }} ?f a ?t . {where} }}"
    )
    with app.app_context():
        rows = state().store.query(query, use_default_graph_as_union=True)
        return {row["f"].value.rsplit("/", 1)[1] for row in rows}


def test_facts_list_and_filters(client):
    page = text(client.get("/facts"))
    assert 'href="/fact/CF0200"' in page and 'href="/fact/CF0320"' in page and 'href="/fact/CF0101"' in page
    for option in (
        'value="Secreted"',
        'value="SecretedClastokines"',
        'value="PutativeClastokines"',
        'value="InVivoSupport"',
        'value="InVitroOnly"',
        'value="true"',
        'value="false"',
        'value="CL:0000092"',
    ):
        assert option in page, option
    for name in ("mechanism", "category", "level", "contested", "cell", "kind"):
        assert f'<select name="{name}">' in page, name
    assert '<select name="status">' not in page and 'class="status' not in page
    row = page.split('href="/fact/CF0320"', 1)[1].split("</tr>", 1)[0]
    assert 'class="badge contested"' in row and 'class="badge category"' in row and "badge level" in row
    page = text(client.get("/facts", query_string={"contested": "true"}))
    assert 'href="/fact/CF0320"' in page and 'href="/fact/CF0215"' not in page
    assert '<option value="true" selected>' in page
    page = text(client.get("/facts", query_string={"category": "PutativeClastokines"}))
    assert 'href="/fact/CF0405"' in page and 'href="/fact/CF0320"' not in page
    page = text(client.get("/facts", query_string={"mechanism": "VesicleMediated"}))
    assert 'href="/fact/CF0200"' not in page
    page = text(client.get("/facts", query_string={"cell": "CL:0000062", "mechanism": "Secreted"}))
    assert 'href="/fact/CF0200"' in page


def test_facts_contested_filter_json(client, app):
    everything = {f["id"]: f for f in client.get("/facts.json").get_json()["facts"]}
    contested = client.get("/facts.json", query_string={"contested": "true"}).get_json()
    settled = client.get("/facts.json", query_string={"contested": "false"}).get_json()
    ids = {f["id"] for f in contested["facts"]}
    assert contested["filters"] == {"contested": "true"} and contested["count"] == len(ids)
    assert {"CF0320", "CF0405", "CF0322", "CF0200"} <= ids and "CF0215" not in ids
    assert ids == store_facts(app, "?f clasto:contested true")
    assert ids == store_facts(app, "?f clasto:hasClaim/clasto:disputedBy ?e")  # contested = disputed
    assert all(f["contested"] is True for f in contested["facts"])
    assert all(f["contested"] is False for f in settled["facts"])
    not_contested = {f["id"] for f in settled["facts"]}
    assert ids | not_contested == set(everything) and not ids & not_contested
    slit3 = everything["CF0320"]
    assert slit3["source_cell_types"] == []
    assert [c["iri"] for c in slit3["contested_source_cell_types"]] == [OBO + "CL_0000092"]


def test_facts_category_and_level_filters_json(client, app):
    putative = client.get("/facts.json", query_string={"category": "PutativeClastokines"}).get_json()
    ids = {f["id"] for f in putative["facts"]}
    assert "CF0405" in ids and "CF0200" not in ids
    assert ids == store_facts(app, "?f clasto:reviewCategory clasto:PutativeClastokines")
    assert {f["review_category"]["iri"] for f in putative["facts"]} == {CLASTO + "PutativeClastokines"}
    assert putative["facts"][0]["review_category"]["label"].startswith("putative clastokines")
    # the filter takes the local name, the CURIE or the IRI
    for value in ("clasto:PutativeClastokines", CLASTO + "PutativeClastokines"):
        assert {f["id"] for f in client.get("/facts.json", query_string={"category": value}).get_json()["facts"]} == ids
    in_vitro = client.get("/facts.json", query_string={"level": "InVitroOnly"}).get_json()
    assert {f["id"] for f in in_vitro["facts"]} == store_facts(app, "?f clasto:evidenceLevel clasto:InVitroOnly")
    assert {f["evidence_level"]["iri"] for f in in_vitro["facts"]} == {CLASTO + "InVitroOnly"}
    both = client.get("/facts.json", query_string={"category": "PutativeClastokines", "contested": "true"}).get_json()
    assert {f["id"] for f in both["facts"]} == ids & store_facts(app, "?f clasto:contested true")
    assert both["filters"] == {"category": "PutativeClastokines", "contested": "true"}
    assert client.get("/facts.json", query_string={"category": "NoSuchCategory"}).get_json()["count"] == 0


def test_facts_json_and_csv_twins(client):
    everything = client.get("/facts.json").get_json()
    assert everything["count"] == len(everything["facts"]) > 40
    s1p = next(f for f in everything["facts"] if f["id"] == "CF0200")
    assert s1p["iri"] == CF + "CF0200" and s1p["url"].endswith("/fact/CF0200")
    assert {"iri": OBO + "CHEBI_37550", "label": s1p["ligand"][0]["label"]} == s1p["ligand"][0]
    assert s1p["review_category"] == {"iri": CLASTO + "SecretedClastokines", "label": "secreted (clastokines)"}
    # in vitro only: its one in vivo effect (bone formation) is the claim the review questions (s8)
    assert s1p["evidence_level"]["iri"] == CLASTO + "InVitroOnly" and s1p["contested"] is True
    assert [c["iri"] for c in s1p["source_cell_types"]] == [OBO + "CL_0000092"]
    assert "status" not in s1p
    tgfb1 = next(f for f in everything["facts"] if f["id"] == "CF0100")
    assert tgfb1["releasing_cell_types"] == tgfb1["source_cell_types"] and tgfb1["producing_cell_types"] == []
    assert client.get("/facts?format=json").get_json()["count"] == everything["count"]
    contested = {f["id"] for f in client.get("/facts.json", query_string={"contested": "true"}).get_json()["facts"]}
    r = client.get("/facts.csv", query_string={"contested": "true"})
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text(r))))
    assert {row["id"] for row in rows} == contested
    assert "status" not in rows[0]
    assert {row["contested"] for row in rows} == {"true"}
    slit3 = next(row for row in rows if row["id"] == "CF0320")
    assert slit3["review_category"] == "secreted (clastokines)" and slit3["evidence_level"] == "in vivo support"
    assert slit3["source_cell_types"] == "" and slit3["contested_source_cell_types"] == "osteoclast"
    assert 'type="text/csv"' in client.get("/facts").headers["Link"]
    link = client.get("/facts", query_string={"contested": "true"}).headers["Link"]
    assert "/facts.json?contested=true" in link and "/facts.csv?contested=true" in link


# -- an evidence level a curator overrode ------------------------------------------------------------

OVERRIDE_REASON = "The osteoclast origin is shown in vivo by figure 2 of the review (a test reason)."


@pytest.fixture(scope="module")
def override_client(real_build_dir, tmp_path_factory):
    """The real build with one claim's level overridden by a curator (the real curation has none):
    CF0200-c1 (S1P produced by osteoclasts) published as in vivo support, for a stated reason, while
    the rule computes in vitro only."""
    import shutil

    import pyoxigraph as ox

    from clastordf.server import create_app
    from clastordf.server.config import ServerConfig

    build = tmp_path_factory.mktemp("override-build")
    for f in real_build_dir.iterdir():
        if f.is_file():
            shutil.copy(f, build / f.name)
    claim = ox.NamedNode(CF + "CF0200-c1")
    level = ox.NamedNode(CLASTO + "evidenceLevel")
    triples = [
        t
        for t in ox.parse(path=str(build / "clastordf.ttl"), format=ox.RdfFormat.TURTLE)
        if not (t.subject == claim and t.predicate == level)
    ]
    triples += [
        ox.Triple(claim, level, ox.NamedNode(CLASTO + "InVivoSupport")),
        ox.Triple(claim, ox.NamedNode(CLASTO + "computedEvidenceLevel"), ox.NamedNode(CLASTO + "InVitroOnly")),
        ox.Triple(claim, ox.NamedNode(CLASTO + "evidenceLevelReason"), ox.Literal(OVERRIDE_REASON, language="en")),
    ]
    (build / "clastordf.ttl").write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE))
    app = create_app(ServerConfig(build, store_dir=tmp_path_factory.mktemp("override-store") / "oxigraph"))
    return app.test_client()


def test_an_overridden_evidence_level_shows_the_curators_reason(override_client):
    claim_page = text(override_client.get("/fact/CF0200-c1"))
    note = claim_page.split('class="level-override"', 1)[1].split("</p>", 1)[0]
    assert "Level set by the curator: " + OVERRIDE_REASON in note
    assert "the rule gives" in note and "level-invitroonly" in note and "in vitro only" in note
    heading = claim_page.split("<h3>", 1)[1].split("</h3>", 1)[0]
    assert "level-invivosupport" in heading  # the published level is the override
    fact_page = text(override_client.get("/fact/CF0200"))
    assert fact_page.count(OVERRIDE_REASON) == 2  # under the evidence level and on the claim
    level_row = re.search(r"<th>Evidence level</th><td>(.*?)</td></tr>", fact_page, re.S).group(1)
    assert "CF0200-c1: level set by the curator: " + OVERRIDE_REASON in level_row
    # the other claims keep the rule's level without a note
    other = text(override_client.get("/fact/CF0200-c2"))
    assert "level-override" not in other and OVERRIDE_REASON not in other


# -- query page ------------------------------------------------------------------------------------


def test_query_page_offers_the_examples(client):
    page = text(client.get("/query"))
    assert '<textarea id="query-text" name="query"' in page and 'id="results"' in page
    assert 'action="/query"' in page and 'data-endpoint="/sparql"' in page and "query.js" in page
    for name in ("contested-facts", "lifr-gp130-ligands", "vesicle-cargo"):
        assert f"example={name}" in page
    assert client.get("/static/query.js").status_code == 200
    examples = client.get("/query?format=json").get_json()["examples"]
    assert {e["name"] for e in examples} >= {"contested-facts", "human-genes-ncbigene"}


def test_packaged_queries_match_the_documented_ones(client):
    from .conftest import REPO

    packaged = {e["name"]: e["query"] for e in client.get("/query?format=json").get_json()["examples"]}
    documented = {p.stem: p.read_text() for p in (REPO / "queries").glob("*.rq")}
    assert packaged == documented


def test_query_page_server_side_fallback(client):
    page = text(client.get("/query", query_string={"example": "lifr-gp130-ligands", "run": "1"}))
    table = page.split('id="results"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") >= 3  # header + the LIF and CT-1 rows
    assert 'href="/fact/CF0300"' in table


def test_query_page_runs_free_queries_through_the_endpoint(client):
    """Without JavaScript the form comes back to /query?run=1, which asks the /sparql view (its limits apply)."""
    q = "PREFIX clasto: <https://w3id.org/clastordf/vocab#> SELECT ?f WHERE { ?f a clasto:ClastokineFact } LIMIT 3"
    page = text(client.get("/query", query_string={"query": q, "run": "1"}))
    assert 'id="results"' in page and "LIMIT 3" in page
    endpoint = client.get("/sparql", query_string={"query": q}, headers={"Accept": "application/sparql-results+json"})
    if endpoint.status_code == 200:
        table = page.split('id="results"', 1)[1].split("</table>", 1)[0]
        assert table.count("<tr>") == 4 and 'href="/fact/CF' in table
    else:  # the endpoint is not there (yet): the page says what it answered
        assert 'id="query-error"' in page and str(endpoint.status_code) in page
    page = text(client.get("/query", query_string={"query": "SELECT nonsense", "run": "1"}))
    assert 'id="query-error"' in page


# -- downloads -------------------------------------------------------------------------------------


def test_downloads_list_sizes_and_hashes(client, real_build_dir):
    page = text(client.get("/downloads"))
    listing = client.get("/downloads.json").get_json()["files"]
    names = {f["name"] for f in listing}
    assert {
        "clastordf.ttl",
        "clastordf.owl",
        "clastordf-vocab.ttl",
        "clastordf-inferred.ttl",
        "clastordf-ontology.html",
    } <= names
    assert "oxigraph" not in names and not any(n.startswith(".") for n in names)
    for f in listing:
        content = (real_build_dir / f["name"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(content).hexdigest()
        assert f["size"] == len(content)
        assert f["sha256"] in page and f'href="/downloads/{f["name"]}"' in page
    media = {f["name"]: f["media_type"] for f in listing}
    assert media["clastordf.ttl"] == "text/turtle" and media["clastordf.owl"] == "application/rdf+xml"
    assert media["clastordf-ontology.html"] == "text/html"


def test_downloads_follow_links_only_to_files_inside_the_build(tmp_path):
    """The build's files are links into its published set (clastordf.outputs): offered as the files
    they resolve to; a link out of the build folder, or one left dangling, is not offered."""
    from clastordf.outputs import publish
    from clastordf.server.downloads import list_downloads

    build = tmp_path / "build"
    publish({"clastordf.ttl": "<a> <b> <c> .\n"}, build)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for download\n")
    (build / "secret.txt").symlink_to(secret)
    (build / "clastordf-gone.ttl").symlink_to(".current/clastordf-gone.ttl")
    (listed,) = list_downloads(build)
    assert listed.name == "clastordf.ttl" and listed.size == len("<a> <b> <c> .\n")
    assert listed.path == (build / "clastordf.ttl").resolve() and not listed.path.is_symlink()


def test_download_range_etag_and_conditional_requests(client, real_build_dir):
    data = (real_build_dir / "clastordf.ttl").read_bytes()
    r = client.get("/downloads/clastordf.ttl")
    assert r.status_code == 200 and r.mimetype == "text/turtle" and r.get_data() == data
    etag, modified = r.headers["ETag"], r.headers["Last-Modified"]
    assert hashlib.sha256(data).hexdigest() in etag
    assert client.get("/downloads/clastordf.ttl", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/downloads/clastordf.ttl", headers={"If-Modified-Since": modified}).status_code == 304
    r = client.get("/downloads/clastordf.ttl", headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and r.get_data() == data[:100]
    assert r.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert client.get("/downloads/clastordf.owl").mimetype == "application/rdf+xml"


# -- VoID and health ---------------------------------------------------------------------------------


def test_void(client):
    r = client.get("/.well-known/void")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = parse(r, "turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = URIRef(BASE + "dataset")
    assert (dataset, rdflib.RDF.type, void.Dataset) in g
    assert int(g.value(dataset, void.triples)) > 5000
    assert str(g.value(dataset, void.sparqlEndpoint)).endswith("/sparql")
    dumps = {str(o) for o in g.objects(dataset, void.dataDump)}
    assert any(d.endswith("/downloads/clastordf.ttl") for d in dumps)
    assert str(g.value(dataset, void.uriSpace)) == BASE
    assert (dataset, rdflib.DCTERMS.license, URIRef("http://creativecommons.org/publicdomain/zero/1.0/")) in g
    assert set(g.objects(dataset, void.exampleResource)) and set(g.objects(dataset, void.vocabulary))
    r = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json" and (dataset, None, None) in parse(r, "json-ld")
    assert client.get("/", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["triples"] > 5000 and body["facts"] > 40 and body["version"] == "0.1.0"


def test_health_is_503_when_the_store_fails(app):
    from clastordf.server import state

    with app.app_context():
        st = state()
        real = st.store

        class Broken:
            def query(self, *args, **kwargs):
                raise OSError("store gone")

        st.store = Broken()
        try:
            r = app.test_client().get("/health")
        finally:
            st.store = real
    assert r.status_code == 503 and r.get_json()["status"] == "error"


# -- links stay local, base is configurable ----------------------------------------------------------

PAGES = (
    "/",
    "/facts",
    "/fact/CF0200",
    "/fact/CF0320",
    "/fact/CF0320-c1",
    "/evidence/E0658",
    "/complex/LIFR-IL6ST",
    "/vocab",
    "/downloads",
    "/query",
    "/dataset",
    "/entity?iri=https%3A%2F%2Fidentifiers.org%2Funiprot%2FQ9NYA1",
    "/term?iri=http%3A%2F%2Fpurl.obolibrary.org%2Fobo%2FCL_0000092",
)


def test_no_page_links_to_w3id_for_local_resources(client):
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, path
        bad = [h for h in hrefs(text(r)) if h.startswith(BASE)]
        assert not bad, (path, bad[:3])
        assert BASE not in r.headers.get("Link", ""), path


@pytest.fixture(scope="module")
def other_client(real_build_dir):
    """An app answering for another base. The data still holds w3id.org IRIs, so they are *not* under
    this base: /fact/… paths find nothing, and links to the data's resources go to /entity?iri=…"""
    from clastordf.server import create_app
    from clastordf.server.config import ServerConfig

    app = create_app(ServerConfig(real_build_dir, base="http://example.org/clastordf/"))
    return app.test_client()


def test_base_is_configurable(other_client):
    for path in ("/", "/facts", "/vocab", "/downloads", "/query", "/health", "/.well-known/void"):
        assert other_client.get(path).status_code == 200, path
    page = text(other_client.get("/facts"))
    fact_link = "/entity?iri=" + quote(CF + "CF0200", safe="")
    assert f'href="{fact_link}"' in page
    r = other_client.get(fact_link)  # the w3id fact still renders as a fact page, locally
    assert r.status_code == 200 and "Sphingosine-1-phosphate made by SPHK1" in text(r)
    assert other_client.get("/fact/CF0200").status_code == 404  # http://example.org/clastordf/fact/CF0200
    g = parse(other_client.get("/.well-known/void"), "turtle")  # still describes the data (w3id IRIs)
    assert str(g.value(URIRef(BASE + "dataset"), URIRef("http://rdfs.org/ns/void#uriSpace"))) == BASE
    for path in ("/facts", fact_link):
        assert not [h for h in hrefs(text(other_client.get(path))) if h.startswith("https://w3id.org/clastordf/")]


def test_every_fact_and_evidence_line_renders_in_html_and_rdf(client):
    facts = client.get("/facts.json").get_json()["facts"]
    evidence: set[str] = set()
    for f in facts:
        r = client.get(f"/fact/{f['id']}")
        assert r.status_code == 200, f["id"]
        evidence.update(re.findall(r'href="/evidence/(E\d+)"', text(r)))
        g = parse(client.get(f"/fact/{f['id']}.rdf"), "xml")
        assert (URIRef(f["iri"]), None, None) in g
    assert len(evidence) > 100
    for e in sorted(evidence):
        assert client.get(f"/evidence/{e}").status_code == 200, e


def test_pages_are_cached_per_accept_with_etags(client):
    html = client.get("/fact/CF0200")
    turtle = client.get("/fact/CF0200", headers={"Accept": "text/turtle"})
    assert html.headers["ETag"] != turtle.headers["ETag"]
    assert client.get("/fact/CF0200", headers={"Accept": "text/turtle"}).data == turtle.data
    assert client.get("/fact/CF0200", headers={"If-None-Match": html.headers["ETag"]}).status_code == 304
    assert "ETag" not in client.get("/health").headers  # live, never cached


def test_people_read_labels_not_codes(client):
    """Biolink enum values and NCBI Taxonomy unique names, as a person reads them (the review of the
    pages found knowledge_assertion, manual_agent and 'Vertebrata <vertebrates>')."""
    evidence = client.get("/evidence/E0650").get_data(as_text=True)
    assert "<td>knowledge assertion <span" in evidence and "<td>manual agent <span" in evidence
    taxon = client.get("/entity?iri=http://purl.obolibrary.org/obo/NCBITaxon_7742").get_data(as_text=True)
    assert ">Vertebrata (vertebrates)<" in taxon


def test_the_home_page_defines_each_count(client):
    home = client.get("/").get_data(as_text=True)
    assert "clastokines by the ontology's definition" in home and "a subset of the clastokine facts" in home
    assert "named by a fact as ligand, receptor or regulator" in home


def test_fact_filters_ignore_case_and_say_when_a_value_matches_nothing(client):
    exact = client.get("/facts.json", query_string={"level": "InVivoSupport"}).get_json()["count"]
    assert exact > 0
    assert client.get("/facts.json", query_string={"level": "invivosupport"}).get_json()["count"] == exact
    assert client.get("/facts.json", query_string={"kind": "Clastokine"}).get_json()["count"] > 0
    by_label = client.get("/facts.json", query_string={"cell": "osteoclast"}).get_json()
    assert by_label["count"] > 0 and by_label["unknown_filters"] == {}
    page = client.get("/facts", query_string={"level": "invivosupport"}).get_data(as_text=True)
    assert 'value="InVivoSupport" selected' in page and "no such value" not in page
    page = client.get("/facts", query_string={"cell": "Nonexistent"}).get_data(as_text=True)
    assert "0 of " in page and "Nonexistent (no such value)" in page and "No fact has “Nonexistent”" in page
    assert client.get("/facts.json", query_string={"cell": "Nonexistent"}).get_json()["unknown_filters"] == {
        "cell": "Nonexistent"
    }


def test_a_wikipathways_pathway_is_called_one_and_headed_by_its_title(client):
    page = client.get("/entity", query_string={"iri": "https://identifiers.org/wikipathways/WP12"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "WikiPathways pathway" in html and "Publication" not in html
    assert "<h1>Osteoclast signaling" in html or ">Osteoclast signaling</h1>" in html
    assert "Evidence lines citing it" not in html and "Links made from it" in html


def test_the_site_has_an_icon(client):
    assert 'rel="icon" type="image/svg+xml" href="/static/favicon.svg"' in client.get("/").get_data(as_text=True)
    icon = client.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.get_data()


def test_the_dataset_iri_is_a_page_about_the_dataset(client):
    html = client.get("/dataset").get_data(as_text=True)
    assert '<p class="kicker">Dataset' in html and "<h1>clastordf — osteoclast" in html
    assert "Curated, referenced facts" in html and 'href="/.well-known/void"' in html and 'href="/downloads"' in html
