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
    for label in ("facts", "clastokine facts", "regulation facts", "evidence lines", "cited publications",
                  "entities", "triples", "inferred clastokines"):
        assert f"<th>{label}" in page, label
    links = hrefs(page)
    for target in ("/facts", "/query", "/vocab", "/downloads", "/sparql", "/downloads/clastordf.ttl"):
        assert target in links, target


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
    for word in ("S1PR3", "osteoclast", "osteoblast", "osteoblast differentiation", "secreted", "established",
                 "Inferred classes", "inferred at build time", "clastokine", "coupling factor"):
        assert word.lower() in page.lower(), word
    # claims with their evidence, PubMed and DOI links, source location in the review
    assert 'href="/fact/CF0200-c1"' in page and 'href="/evidence/E0300"' in page
    assert "https://pubmed.ncbi.nlm.nih.gov/" in page and "https://doi.org/" in page
    assert "table1-row5" in page
    assert 'class="notice contested"' not in page


def test_fact_page_slit3_is_marked_contested_with_disputing_evidence(client):
    page = text(client.get("/fact/CF0320"))
    assert 'class="notice contested"' in page
    assert "SLIT3" in page and "ROBO1" in page and "ROBO2" in page
    assert "disputes" in page and 'href="/evidence/E0658"' in page
    assert "https://pubmed.ncbi.nlm.nih.gov/32133214/" in page  # Li et al. 2020 disputes
    assert "biomarker" in page


def test_claim_page(client):
    page = text(client.get("/fact/CF0320-c1"))
    assert "produced by" in page and "SLIT3" in page and 'href="/fact/CF0320"' in page
    assert 'href="/evidence/E0658"' in page


def test_evidence_page(client):
    r = client.get("/evidence/E0658")
    assert r.status_code == 200
    page = text(r)
    assert "expression pattern evidence" in page and "Mus musculus" in page
    assert "https://pubmed.ncbi.nlm.nih.gov/29785024/" in page and "doi:10.1038/s41591-018-0020-z" in page
    assert 'href="/fact/CF0320"' in page and "disputes" in page


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
            use_default_graph_as_union=True)
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


def test_release_iri_serves_the_ontology(client):
    r = client.get("/releases/0.1.0/clastordf.owl")
    assert r.status_code == 200 and r.mimetype == "application/rdf+xml"


# -- content negotiation ---------------------------------------------------------------------------

@pytest.mark.parametrize("path,iri", [
    ("/fact/CF0200", CF + "CF0200"),
    ("/fact/CF0200-c1", CF + "CF0200-c1"),
    ("/evidence/E0100", BASE + "evidence/E0100"),
    ("/complex/LIFR-IL6ST", BASE + "complex/LIFR-IL6ST"),
    ("/dataset", BASE + "dataset"),
])
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
        assert 'rel="alternate"' in link and f'<{path}.ttl>' in link


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


@pytest.mark.parametrize("accept,media", [
    ("text/html;q=0.5, text/turtle;q=0.9", "text/turtle"),
    ("application/ld+json;q=0.2, application/n-triples", "application/n-triples"),
    ("text/turtle;q=0.1, application/rdf+xml;q=0.8, text/html;q=0.3", "application/rdf+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/html"),
    ("", "text/html"),
])
def test_q_values(client, accept, media):
    r = client.get("/fact/CF0200", headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.mimetype == media
    assert "Accept" in r.headers["Vary"]
    assert "rel=\"alternate\"" in r.headers["Link"]


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

def test_facts_list_and_filters(client):
    page = text(client.get("/facts"))
    assert 'href="/fact/CF0200"' in page and 'href="/fact/CF0320"' in page and 'href="/fact/CF0101"' in page
    for option in ('value="Secreted"', 'value="Controversial"', 'value="CL:0000092"'):
        assert option in page, option
    page = text(client.get("/facts", query_string={"status": "Controversial"}))
    assert 'href="/fact/CF0320"' in page and 'href="/fact/CF0200"' not in page
    page = text(client.get("/facts", query_string={"mechanism": "VesicleMediated"}))
    assert 'href="/fact/CF0200"' not in page
    page = text(client.get("/facts", query_string={"cell": "CL:0000062", "mechanism": "Secreted"}))
    assert 'href="/fact/CF0200"' in page


def test_facts_json_and_csv_twins(client):
    everything = client.get("/facts.json").get_json()
    assert everything["count"] == len(everything["facts"]) > 40
    contested = client.get("/facts.json", query_string={"status": "Controversial"}).get_json()
    ids = {f["id"] for f in contested["facts"]}
    assert "CF0320" in ids and "CF0200" not in ids
    assert contested["filters"] == {"status": "Controversial"}
    s1p = next(f for f in everything["facts"] if f["id"] == "CF0200")
    assert s1p["iri"] == CF + "CF0200" and s1p["url"].endswith("/fact/CF0200")
    assert {"iri": OBO + "CHEBI_37550", "label": s1p["ligand"][0]["label"]} == s1p["ligand"][0]
    assert client.get("/facts?format=json").get_json()["count"] == everything["count"]
    r = client.get("/facts.csv", query_string={"status": "Controversial"})
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text(r))))
    assert {row["id"] for row in rows} == ids
    assert rows[0]["status"] == "controversial"
    assert 'type="text/csv"' in client.get("/facts").headers["Link"]


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
    assert {"clastordf.ttl", "clastordf.owl", "clastordf-vocab.ttl", "clastordf-inferred.ttl",
            "clastordf-ontology.html"} <= names
    assert "oxigraph" not in names and not any(n.startswith(".") for n in names)
    for f in listing:
        content = (real_build_dir / f["name"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(content).hexdigest()
        assert f["size"] == len(content)
        assert f["sha256"] in page and f'href="/downloads/{f["name"]}"' in page
    media = {f["name"]: f["media_type"] for f in listing}
    assert media["clastordf.ttl"] == "text/turtle" and media["clastordf.owl"] == "application/rdf+xml"
    assert media["clastordf-ontology.html"] == "text/html"


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

PAGES = ("/", "/facts", "/fact/CF0200", "/fact/CF0320", "/fact/CF0320-c1", "/evidence/E0658", "/complex/LIFR-IL6ST",
         "/vocab", "/downloads", "/query", "/dataset", "/entity?iri=https%3A%2F%2Fidentifiers.org%2Funiprot%2FQ9NYA1",
         "/term?iri=http%3A%2F%2Fpurl.obolibrary.org%2Fobo%2FCL_0000092")


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
