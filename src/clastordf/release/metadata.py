"""What a release says about itself: ``void.ttl`` (VoID + DCAT), ``dataset.jsonld`` (schema.org) and
``README.md``. Everything here is computed from the release's files and the curated dataset record,
never from the clock, so a release is reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, XSD

from ..curation.model import Dataset
from ..rdfio.turtle import serialize
from ..vocab import CLASS_PARTITIONS, DATASET_IRI, DCAT, GRAPHS, PAV, PREFIXES, REVIEW_IRI, SPDX, VOID, prefix_map
from .layout import DATA_DUMPS, METADATA_FILES, describe_file, media_type

IANA_MEDIA = "https://www.iana.org/assignments/media-types/"

#: The review every fact is curated from, as its JATS record names it (authors, journal, year).
REVIEW_CITATION = (
    "Daponte V, Henke K, Drissi H. Current perspectives on the multiple roles of osteoclasts: "
    "Mechanisms of osteoclast–osteoblast communication and potential clinical implications. "
    "eLife 13:e95083 (2024). https://doi.org/10.7554/eLife.95083"
)
REVIEW_TITLE = (
    "Current perspectives on the multiple roles of osteoclasts: Mechanisms of osteoclast–osteoblast "
    "communication and potential clinical implications"
)


@dataclass(frozen=True)
class ReleaseFile:
    """A file of a release, with what a catalogue needs to offer it."""

    name: str
    size: int
    sha256: str

    @property
    def media_type(self) -> str:
        return media_type(self.name)

    @property
    def description(self) -> str:
        return describe_file(self.name)


@dataclass(frozen=True)
class ReleaseInfo:
    """The facts about one release that its descriptions state."""

    dataset: Dataset
    version: str
    released: date
    base: str  # the deployment's IRI base, e.g. https://w3id.org/clastordf/
    triples: int
    facts: int
    evidence: int
    examples: tuple[str, ...]
    #: (class IRI, instances) for the classes a user counts by: fact kinds, evidence lines, claims.
    class_counts: tuple[tuple[str, int], ...] = ()
    previous_version: str | None = None

    def download_url(self, name: str) -> str:
        return f"{self.base}downloads/{self.version}/{name}"

    @property
    def release_iri(self) -> str:
        return f"{self.base}releases/{self.version}"

    @property
    def sparql_endpoint(self) -> str:
        return self.base + "sparql"


def void_turtle(info: ReleaseInfo, files: list[ReleaseFile]) -> str:
    """``void.ttl``: the dataset (VoID + DCAT) with licence, version, provenance, size, example resources,
    endpoint, dumps, and one ``dcat:Distribution`` per file with size, media type and SHA-256."""
    g = Graph()
    d = URIRef(DATASET_IRI)
    meta = info.dataset
    for cls in (VOID.Dataset, DCAT.Dataset):
        g.add((d, RDF.type, cls))
    g.add((d, DCTERMS.title, Literal(meta.title, lang="en")))
    g.add((d, DCTERMS.description, Literal(meta.description, lang="en")))
    g.add((d, DCTERMS.license, URIRef(meta.license)))
    g.add((d, DCTERMS.issued, Literal(info.released.isoformat(), datatype=XSD.date)))
    for creator in meta.creators:
        g.add((d, DCTERMS.creator, Literal(creator)))
    g.add((d, PAV.version, Literal(info.version)))
    g.add((d, DCAT.version, Literal(info.version)))
    g.add((d, OWL.versionInfo, Literal(info.version)))
    g.add((d, PROV.wasDerivedFrom, REVIEW_IRI))
    g.add((REVIEW_IRI, DCTERMS.title, Literal(REVIEW_TITLE)))
    g.add((REVIEW_IRI, DCTERMS.bibliographicCitation, Literal(REVIEW_CITATION)))
    g.add((d, DCTERMS.bibliographicCitation, Literal(dataset_citation(info))))
    g.add((d, DCAT.landingPage, URIRef(meta.homepage)))
    g.add((d, FOAF.homepage, URIRef(meta.homepage)))
    g.add((d, VOID.triples, Literal(info.triples, datatype=XSD.integer)))
    g.add((d, VOID.uriSpace, Literal(info.base)))
    g.add((d, VOID.sparqlEndpoint, URIRef(info.sparql_endpoint)))
    g.add((d, VOID.rootResource, URIRef(info.base)))
    for iri in info.examples:
        g.add((d, VOID.exampleResource, URIRef(iri)))
    for cls_iri, count in info.class_counts:
        part = URIRef(CLASS_PARTITIONS + cls_iri.rsplit("#", 1)[-1])
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls_iri)))
        g.add((part, VOID.entities, Literal(count, datatype=XSD.integer)))
    g.add((d, RDFS.comment, Literal(f"{info.facts} facts, {info.evidence} evidence lines.", lang="en")))
    if info.previous_version:
        previous = URIRef(f"{info.base}releases/{info.previous_version}")
        g.add((d, PAV.previousVersion, previous))
        g.add((d, DCAT.previousVersion, previous))
    for f in files:
        if f.name in METADATA_FILES:
            continue
        url = URIRef(info.download_url(f.name))
        if f.name in DATA_DUMPS:
            g.add((d, VOID.dataDump, url))
        dist = URIRef(f"{info.release_iri}/{f.name}")
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f.name)))
        if f.description:
            g.add((dist, DCTERMS.description, Literal(f.description, lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA + f.media_type)))
        g.add((dist, DCAT.byteSize, Literal(f.size, datatype=XSD.nonNegativeInteger)))
        g.add((dist, DCTERMS.license, URIRef(meta.license)))
        checksum = BNode(f"checksum-{f.name}")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(f.sha256, datatype=XSD.hexBinary)))
    prefixes = {**PREFIXES, **prefix_map("foaf", "spdx")}
    return serialize(g, prefixes, lambda s: 0 if s == d else 1)


def dataset_citation(info: ReleaseInfo) -> str:
    """How to cite the release.

    The creators, title, version, year and landing page, in the usual data-citation order.
    """
    creators = ", ".join(info.dataset.creators)
    return (
        f"{creators}. {info.dataset.title}. Version {info.version} ({info.released.year}). "
        f"{info.dataset.homepage} — curated from {REVIEW_CITATION}"
    )


def dataset_jsonld(info: ReleaseInfo, files: list[ReleaseFile]) -> str:
    """``dataset.jsonld``: the release as a schema.org ``Dataset`` with its downloads."""
    meta = info.dataset
    doc = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": DATASET_IRI,
        "name": meta.title,
        "description": meta.description,
        "url": meta.homepage,
        "version": info.version,
        "datePublished": info.released.isoformat(),
        "license": meta.license,
        "isAccessibleForFree": True,
        "creator": [{"@type": "Organization", "name": c} for c in meta.creators],
        "keywords": [
            "osteoclast",
            "osteoblast",
            "bone remodeling",
            "coupling factor",
            "clastokine",
            "knowledge graph",
            "RDF",
            "SPARQL",
        ],
        "citation": dataset_citation(info),
        "isBasedOn": {
            "@type": "ScholarlyArticle",
            "@id": str(REVIEW_IRI),
            "name": REVIEW_TITLE,
            "citation": REVIEW_CITATION,
        },
        "measurementTechnique": "manual curation from the literature",
        "variableMeasured": [
            "ligand",
            "producing cell type",
            "receptor",
            "target cell type",
            "biological process promoted or inhibited",
            "review category",
            "evidence level",
            "contested",
            "evidence",
        ],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": f.name,
                "description": f.description,
                "contentUrl": info.download_url(f.name),
                "encodingFormat": f.media_type,
                "contentSize": f"{f.size} B",
                "sha256": f.sha256,
            }
            for f in files
            if f.name not in METADATA_FILES
        ],
        "includedInDataCatalog": {"@type": "DataCatalog", "name": "clastordf releases", "url": info.base + "downloads"},
        "potentialAction": {
            "@type": "SearchAction",
            "target": info.sparql_endpoint,
            "description": "SPARQL 1.1 endpoint over the latest release",
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def readme(info: ReleaseInfo, files: list[ReleaseFile]) -> str:
    """``README.md``: what the release holds, how to check and load it, how to cite it."""
    v = info.version
    rows = "\n".join(f"| `{f.name}` | {_size(f.size)} | {f.description} |" for f in files)
    return f"""# {info.dataset.title} — release {v}

Released {info.released.isoformat()}. {info.facts} facts, {info.evidence} evidence lines, {info.triples:,} triples.
Licence: CC0 1.0 ({info.dataset.license}) — no rights reserved; citing is appreciated.

{info.dataset.description}

Every fact is curated from the review by Daponte, Henke and Drissi (eLife 2024, doi:10.7554/eLife.95083)
and the primary studies it cites; each claim names its supporting (and, for contested points, disputing)
evidence with PubMed ids or DOIs.

## Files

| File | Size | What it is |
|---|---|---|
{rows}
| `README.md` | | this file |
| `CHANGELOG.md` | | what changed since the previous release |
| `SHA256SUMS` | | checksums of every other file |

The three dumps `clastordf.ttl`, `clastordf.nt.gz` and `clastordf.jsonld` hold the same triples.
Online: {info.download_url("")} (SPARQL endpoint {info.sparql_endpoint}).

## Check the download

```sh
sha256sum -c SHA256SUMS
clastordf verify .        # checksums, independent parsers, SHACL shapes
```

## Load it

With rdflib:

```python
from rdflib import Graph

graph = Graph().parse("clastordf.ttl", format="turtle")
print(len(graph), "triples")
```

With pyoxigraph (fast; the same named graph the clastordf server uses):

```python
import gzip
import pyoxigraph

store = pyoxigraph.Store()
with gzip.open("clastordf.nt.gz", "rb") as dump:
    store.load(dump, format=pyoxigraph.RdfFormat.N_TRIPLES,
               to_graph=pyoxigraph.NamedNode("{GRAPHS}{v}"))
query = "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
print(next(iter(store.query(query)))["n"].value, "triples")
```

With the Virtuoso bulk loader (the folder must be listed in `DirsAllowed` of `virtuoso.ini`), in `isql`:

```sql
ld_dir('/path/to/this/folder', 'clastordf.nt.gz', '{GRAPHS}{v}');
rdf_loader_run();
checkpoint;
SPARQL SELECT COUNT(*) FROM <{GRAPHS}{v}> WHERE {{ ?s ?p ?o }};
```

or `clastordf virtuoso load --release {v}`, which also checks the checksum and the triple count.

JSON-LD users: `clastordf.jsonld` carries its context inline; the same context is
`clastordf.context.jsonld` ({info.download_url("clastordf.context.jsonld")}).
WikiPathways users: open `clastordf.gpml` in PathVisio; `clastordf-wp.ttl` is its wp: RDF;
`clastordf.gmt` holds gene sets for enrichment tools.

## Cite

{dataset_citation(info)}

Please also cite the review the facts come from: {REVIEW_CITATION}
"""  # noqa: S608 (Markdown holding an isql example, not a query built from input)
