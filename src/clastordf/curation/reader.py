"""Read ``curation/`` into the in-memory model, reporting every structural problem at once.

This stage checks the shape of what curators wrote (required fields, value sets, ids, references
between records); identifier checks against the term index are :mod:`clastordf.terms.identifiers`.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..problems import Problem, ProblemsFound
from . import model
from .model import Claim, Curation, Evidence, Fact, Loc, Note, Ref
from .yamlio import CurationFileError, Record, load, read_utf8

FACT_ID = re.compile(r"^CF\d{4,}$")
EVIDENCE_ID = re.compile(r"^E\d{4,}$")
CLAIM_ID = re.compile(r"^c\d+$")
KEY = re.compile(r"^[^\s:][^:]*$")
CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9.]*:\S+$")
PMID = re.compile(r"^\d{1,9}$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
STATUS_GONE = (
    "`status:` is no longer curated: write the review's category as the fact's `review_category:`; "
    "the evidence level and whether a claim is contested are computed from its evidence lines"
)
ENTITY_SECTIONS = ("gene_products", "chemicals", "mirnas", "complexes")
NO_RECORDS = "holds no records: put its records back, or delete the file if they are meant to go"
SOURCE_LOCATION = re.compile(r"^(table1-row([1-9]|1\d|2[0-5])|s\d+|abstract|fig[1-4])$")


class _Reader:
    """Collects problems while turning YAML records into model objects."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def problem(self, loc: Loc, field: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(loc.file, line or loc.line, loc.record, field, message))

    # -- field readers -------------------------------------------------------------------------

    def text(self, rec: Record, key: str, loc: Loc, required: bool = True, where: str = "") -> str | None:
        value = rec.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(loc, where + key, "missing required field", rec.line_of(key) if key in rec else rec.line)
            return None
        if isinstance(value, datetime.date):
            return value.isoformat()
        if not isinstance(value, str | int | float):
            self.problem(loc, where + key, f"expected text, got {type(value).__name__}", rec.line_of(key))
            return None
        return str(value).strip()

    def choice(
        self, rec: Record, key: str, loc: Loc, allowed: Iterable[str], required: bool = True, where: str = ""
    ) -> str | None:
        value = self.text(rec, key, loc, required, where)
        if value is not None and value not in allowed:
            self.problem(loc, where + key, f"{value!r} is not one of {', '.join(allowed)}", rec.line_of(key))
            return None
        return value

    def items(self, rec: Record, key: str, loc: Loc) -> list[Any]:
        value = rec.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            return [value]
        return value

    def ref(self, value: Any, field: str, loc: Loc, line: int) -> Ref | None:
        """Parse ``CURIE``, ``CURIE ! label`` or an entity key."""
        if value is None or not isinstance(value, str | int) or not str(value).strip():
            self.problem(loc, field, "missing identifier", line)
            return None
        label: str | None
        text, _, label = str(value).partition(" ! ")
        text, label = text.strip(), label.strip() or None
        if ":" in text:
            if not CURIE.match(text):
                self.problem(loc, field, f"malformed CURIE {text!r}", line)
                return None
        elif not KEY.match(text):
            self.problem(loc, field, f"malformed entity key {text!r}", line)
            return None
        return Ref(text, label, field, Loc(loc.file, line, loc.record))

    def refs(self, rec: Record, key: str, loc: Loc) -> list[Ref]:
        line = rec.line_of(key)
        out = []
        for i, item in enumerate(self.items(rec, key, loc)):
            ref = self.ref(item, f"{key}[{i}]", loc, line)
            if ref:
                out.append(ref)
        return out

    def strings(self, rec: Record, key: str, loc: Loc) -> list[str]:
        out = []
        for item in self.items(rec, key, loc):
            if not isinstance(item, str | int):
                self.problem(loc, key, f"expected a list of text, got {item!r}", rec.line_of(key))
                continue
            out.append(str(item).strip())
        return out

    def unknown_keys(self, rec: Record, allowed: set[str], loc: Loc, where: str = "") -> None:
        for key, line in rec.duplicate_keys:
            self.problem(loc, f"{where}{key}", "field given twice", line)
        for key in rec:
            if key not in allowed:
                allowed_text = ", ".join(sorted(allowed))
                self.problem(loc, f"{where}{key}", f"unknown field (allowed: {allowed_text})", rec.line_of(key))

    # -- records ---------------------------------------------------------------------------------

    def check_holds_records(self, data: Any, sections: Iterable[str], path: Path) -> None:
        """A file of records with none (emptied, only comments, only empty lists) is a problem: read as
        it is, it would drop every fact it held without a word. Other shapes are :meth:`records`' to report."""
        if data is None or (isinstance(data, Record) and not any(data.get(s) for s in sections)):
            self.problems.append(Problem(self.rel(path), 0, "", "", NO_RECORDS))

    def records(self, data: Any, section: str, path: Path) -> list[Record]:
        if data is None:
            return []
        if not isinstance(data, Record):
            self.problems.append(Problem(self.rel(path), 1, "", "", "expected a mapping at the top level"))
            return []
        items = data.get(section)
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(i, Record) for i in items):
            self.problems.append(
                Problem(self.rel(path), data.line_of(section), "", section, "expected a list of records")
            )
            return []
        return items

    def note(self, value: Any, field: str, loc: Loc, line: int) -> Note | None:
        if not isinstance(value, Record):
            self.problem(loc, field, "a note needs `text:` and `pmids:` (or `dois:`)", line)
            return None
        self.unknown_keys(value, {"text", "pmids", "dois"}, loc, f"{field}.")
        text = self.text(value, "text", loc)
        pmids = self.strings(value, "pmids", loc)
        dois = self.strings(value, "dois", loc)
        for p in pmids:
            if not PMID.match(p):
                self.problem(loc, f"{field}.pmids", f"malformed PMID {p!r}", value.line_of("pmids"))
        for d in dois:
            if not DOI.match(d):
                self.problem(loc, f"{field}.dois", f"malformed DOI {d!r}", value.line_of("dois"))
        if not pmids and not dois:
            self.problem(loc, field, "a note must cite its source (pmids: or dois:)", value.line)
        return Note(text or "", pmids, dois) if text else None

    def claim(self, rec: Record, fact: Fact, loc: Loc) -> Claim | None:
        cid = self.text(rec, "id", loc, where="claims.")
        where = f"claims[{cid}]" if cid else f"claims@{rec.line}"
        self.unknown_keys(
            rec,
            {
                "id",
                "subject",
                "predicate",
                "object",
                "context",
                "status",
                "supported_by",
                "disputed_by",
                "comment",
                "evidence_level",
                "evidence_level_reason",
            },
            loc,
            f"{where}.",
        )
        if "status" in rec:
            self.problem(loc, f"{where}.status", STATUS_GONE, rec.line_of("status"))
        if cid and not CLAIM_ID.match(cid):
            self.problem(loc, f"{where}.id", "claim ids look like c1, c2 …", rec.line_of("id"))
        subject = (
            self.ref(rec["subject"], f"{where}.subject", loc, rec.line_of("subject"))
            if "subject" in rec
            else fact.agent
        )
        predicate = self.ref(rec.get("predicate"), f"{where}.predicate", loc, rec.line_of("predicate"))
        if predicate and predicate.text not in model.CLAIM_PREDICATES:
            self.problem(
                loc,
                f"{where}.predicate",
                f"{predicate.text} is not an allowed claim predicate ({', '.join(model.CLAIM_PREDICATES)})",
                rec.line_of("predicate"),
            )
        obj = self.ref(rec.get("object"), f"{where}.object", loc, rec.line_of("object"))
        context = (
            self.ref(rec["context"], f"{where}.context", loc, rec.line_of("context")) if rec.get("context") else None
        )
        override = self.choice(rec, "evidence_level", loc, model.EVIDENCE_LEVELS, required=False, where=f"{where}.")
        reason = self.text(rec, "evidence_level_reason", loc, required=False, where=f"{where}.")
        if override and not reason:
            self.problem(
                loc,
                f"{where}.evidence_level_reason",
                "overriding the computed evidence level needs a stated reason (pages show it)",
                rec.line_of("evidence_level"),
            )
        if reason and not override and "evidence_level" not in rec:
            self.problem(
                loc,
                f"{where}.evidence_level_reason",
                "a reason without an `evidence_level:` override",
                rec.line_of("evidence_level_reason"),
            )
        supported = self.strings(rec, "supported_by", loc)
        disputed = self.strings(rec, "disputed_by", loc)
        if not supported:
            self.problem(
                loc,
                f"{where}.supported_by",
                "a claim needs at least one supporting evidence line (disputed_by alone states nothing)",
                rec.line_of("supported_by") if "supported_by" in rec else rec.line,
            )
        comment = self.text(rec, "comment", loc, required=False, where=f"{where}.")
        if not (cid and subject and predicate and obj):
            return None
        return Claim(
            cid,
            subject,
            predicate,
            obj,
            context,
            supported,
            disputed,
            comment,
            Loc(loc.file, rec.line, loc.record),
            override,
            reason,
        )

    def fact(self, rec: Record, file: str) -> Fact | None:
        fid = rec.get("id")
        loc = Loc(file, rec.line, str(fid) if fid else f"fact@{rec.line}")
        fid = self.text(rec, "id", loc)
        if fid and not FACT_ID.match(fid):
            self.problem(loc, "id", f"{fid!r}: fact ids look like CF0001", rec.line_of("id"))
        ftype = self.choice(rec, "type", loc, model.FACT_TYPES)
        allowed = {
            "id",
            "type",
            "label",
            "ligand_form",
            "pathways",
            "carrier",
            "remodeling_phases",
            "status",
            "review_category",
            "source_locations",
            "therapeutic_notes",
            "biomarker_notes",
            "comment",
            "claims",
        }
        allowed |= {"regulator"} if ftype == "RegulationFact" else {"ligand", "mechanism"}
        self.unknown_keys(rec, allowed, loc)
        agent_key = "regulator" if ftype == "RegulationFact" else "ligand"
        label = self.text(rec, "label", loc)
        agent = self.ref(rec.get(agent_key), agent_key, loc, rec.line_of(agent_key))
        mechanism = self.choice(rec, "mechanism", loc, model.MECHANISMS) if ftype == "ClastokineFact" else None
        phases = self.strings(rec, "remodeling_phases", loc)
        for p in phases:
            if p not in model.PHASES:
                self.problem(
                    loc,
                    "remodeling_phases",
                    f"{p!r} is not one of {', '.join(model.PHASES)}",
                    rec.line_of("remodeling_phases"),
                )
        if "status" in rec:
            self.problem(loc, "status", STATUS_GONE, rec.line_of("status"))
        category = self.choice(rec, "review_category", loc, model.REVIEW_CATEGORIES)
        locations = self.strings(rec, "source_locations", loc)
        if not locations:
            self.problem(
                loc,
                "source_locations",
                "every fact names where in the review it comes from",
                rec.line_of("source_locations"),
            )
        for s in locations:
            if not SOURCE_LOCATION.match(s):
                self.problem(
                    loc,
                    "source_locations",
                    f"{s!r}: expected table1-rowN (1-25), sN, abstract or figN",
                    rec.line_of("source_locations"),
                )
        notes: dict[str, list[Note]] = {}
        for key in ("therapeutic_notes", "biomarker_notes"):
            notes[key] = [
                n
                for i, v in enumerate(self.items(rec, key, loc))
                if (n := self.note(v, f"{key}[{i}]", loc, rec.line_of(key)))
            ]
        carrier = self.ref(rec["carrier"], "carrier", loc, rec.line_of("carrier")) if rec.get("carrier") else None
        fact = Fact(
            id=fid or "",
            type=ftype or "",
            label=label or "",
            agent=agent,  # type: ignore[arg-type]
            ligand_form=self.text(rec, "ligand_form", loc, required=False),
            mechanism=mechanism,
            pathways=self.refs(rec, "pathways", loc),
            carrier=carrier,
            phases=phases,
            review_category=category or "",
            source_locations=locations,
            therapeutic_notes=notes["therapeutic_notes"],
            biomarker_notes=notes["biomarker_notes"],
            comment=self.text(rec, "comment", loc, required=False),
            claims=[],
            loc=loc,
        )
        claims = rec.get("claims")
        if not isinstance(claims, list) or not claims:
            self.problem(loc, "claims", "a fact needs at least one claim", rec.line_of("claims"))
        else:
            seen: set[str] = set()
            for item in claims:
                if not isinstance(item, Record):
                    self.problem(loc, "claims", "each claim is a mapping", rec.line_of("claims"))
                    continue
                claim = self.claim(item, fact, loc)
                if claim is None:
                    continue
                if claim.id in seen:
                    self.problem(loc, f"claims[{claim.id}].id", "duplicate claim id", item.line_of("id"))
                seen.add(claim.id)
                fact.claims.append(claim)
        # An incomplete fact is kept (the read fails anyway) so its claims still count as citing evidence.
        return fact if fid else None

    def evidence(self, rec: Record, file: str) -> Evidence | None:
        eid = rec.get("id")
        loc = Loc(file, rec.line, str(eid) if eid else f"evidence@{rec.line}")
        self.unknown_keys(
            rec,
            {
                "id",
                "eco",
                "system",
                "taxa",
                "anatomy",
                "cell_manipulated",
                "pmid",
                "doi",
                "outside_bibliography",
                "comment",
            },
            loc,
        )
        eid = self.text(rec, "id", loc)
        if eid and not EVIDENCE_ID.match(eid):
            self.problem(loc, "id", f"{eid!r}: evidence ids look like E0001", rec.line_of("id"))
        eco = self.ref(rec.get("eco"), "eco", loc, rec.line_of("eco"))
        system = self.choice(rec, "system", loc, model.SYSTEMS)
        taxa = self.refs(rec, "taxa", loc)
        if not taxa:
            self.problem(loc, "taxa", "missing required field", rec.line_of("taxa"))
        pmid = self.text(rec, "pmid", loc, required=False)
        doi = self.text(rec, "doi", loc, required=False)
        if pmid and not PMID.match(pmid):
            self.problem(loc, "pmid", f"malformed PMID {pmid!r}", rec.line_of("pmid"))
        if doi and not DOI.match(doi):
            self.problem(loc, "doi", f"malformed DOI {doi!r}", rec.line_of("doi"))
        if not pmid and not doi:
            self.problem(
                loc, "pmid", "an evidence line cites its study (pmid:, or doi: when there is no PMID)", rec.line
            )
        if pmid and doi:
            self.problem(
                loc, "doi", "give pmid: or doi:, not both (the DOI comes from the bibliography)", rec.line_of("doi")
            )
        comment = self.text(rec, "comment", loc)
        if not (eid and eco and system and taxa and (pmid or doi)):
            return None
        anatomy = self.refs(rec, "anatomy", loc)
        for ref in anatomy:
            if not ref.text.startswith("UBERON:"):
                self.problem(loc, "anatomy", f"{ref.text}: anatomy is given as UBERON terms", rec.line_of("anatomy"))
        manipulated = (
            self.ref(rec["cell_manipulated"], "cell_manipulated", loc, rec.line_of("cell_manipulated"))
            if rec.get("cell_manipulated")
            else None
        )
        return Evidence(
            eid,
            eco,
            system,
            taxa,
            pmid,
            doi,
            self.text(rec, "outside_bibliography", loc, False),
            comment,
            loc,
            anatomy,
            manipulated,
        )

    def entities(self, data: Any, path: Path, curation: Curation, origin: dict[str, Loc]) -> None:
        file = self.rel(path)
        if isinstance(data, Record):
            self.unknown_keys(data, set(ENTITY_SECTIONS), Loc(file, data.line, ""))
        for section, build in (
            ("gene_products", self._gene_product),
            ("chemicals", self._chemical),
            ("mirnas", self._mirna),
            ("complexes", self._complex),
        ):
            for rec in self.records(data, section, path):
                key = rec.get("key")
                loc = Loc(file, rec.line, str(key) if key else f"{section}@{rec.line}")
                entity = build(rec, loc)
                if entity is None:
                    continue
                if entity.key in origin:
                    first = origin[entity.key]
                    self.problem(
                        loc,
                        "key",
                        f"duplicate entity key {entity.key!r} (first defined at {first.file}:{first.line})",
                        rec.line_of("key"),
                    )
                    continue
                origin[entity.key] = loc
                curation.entities[entity.key] = entity

    def _key(self, rec: Record, loc: Loc) -> str | None:
        key = self.text(rec, "key", loc)
        if key and not KEY.match(key):
            self.problem(loc, "key", f"entity keys contain no ':' or leading space: {key!r}", rec.line_of("key"))
            return None
        return key

    def _gene_product(self, rec: Record, loc: Loc) -> model.GeneProduct | None:
        self.unknown_keys(rec, {"key", "hgnc", "uniprot", "mouse_uniprot", "aliases"}, loc)
        key, hgnc = self._key(rec, loc), self.text(rec, "hgnc", loc)
        uniprot = self.text(rec, "uniprot", loc)
        if hgnc and not re.match(r"^HGNC:\d+$", hgnc):
            self.problem(loc, "hgnc", f"expected HGNC:<number>, got {hgnc!r}", rec.line_of("hgnc"))
            return None
        if not (key and hgnc and uniprot):
            return None
        return model.GeneProduct(
            key, hgnc, uniprot, self.text(rec, "mouse_uniprot", loc, False), self.strings(rec, "aliases", loc), loc
        )

    def _chemical(self, rec: Record, loc: Loc) -> model.Chemical | None:
        self.unknown_keys(rec, {"key", "chebi", "aliases"}, loc)
        key = self._key(rec, loc)
        chebi = self.ref(rec.get("chebi"), "chebi", loc, rec.line_of("chebi"))
        if chebi and not chebi.text.startswith("CHEBI:"):
            self.problem(loc, "chebi", f"expected a CHEBI: id, got {chebi.text!r}", rec.line_of("chebi"))
            return None
        if not (key and chebi):
            return None
        return model.Chemical(key, chebi, self.strings(rec, "aliases", loc), loc)

    def _mirbase(self, rec: Record, field: str, loc: Loc, required: bool) -> Ref | None:
        if not required and not rec.get(field):
            return None
        ref = self.ref(rec.get(field), field, loc, rec.line_of(field))
        if ref is None:
            return None
        if re.match(r"^MIMAT\d{7}$", ref.text):
            return Ref(f"mirbase.mature:{ref.text}", ref.label, ref.field, ref.loc)
        if re.match(r"^MI\d{7}$", ref.text):  # the stem-loop, when the source does not name the arm
            return Ref(f"mirbase:{ref.text}", ref.label, ref.field, ref.loc)
        self.problem(
            loc, field, f"expected a miRBase id (mature MIMAT… or stem-loop MI…), got {ref.text!r}", rec.line_of(field)
        )
        return None

    def _mirna(self, rec: Record, loc: Loc) -> model.MiRNA | None:
        self.unknown_keys(rec, {"key", "mirbase", "mouse_mirbase", "aliases"}, loc)
        key = self._key(rec, loc)
        mature = self._mirbase(rec, "mirbase", loc, True)
        mouse = self._mirbase(rec, "mouse_mirbase", loc, False)
        if not (key and mature):
            return None
        return model.MiRNA(key, mature, mouse, self.strings(rec, "aliases", loc), loc)

    def _complex(self, rec: Record, loc: Loc) -> model.Complex | None:
        self.unknown_keys(rec, {"key", "label", "subunits"}, loc)
        key, label = self._key(rec, loc), self.text(rec, "label", loc)
        subunits = self.strings(rec, "subunits", loc)
        if len(subunits) < 2:
            self.problem(loc, "subunits", "a complex has at least two subunits", rec.line_of("subunits"))
        if not (key and label and len(subunits) >= 2):
            return None
        if key and not re.match(r"^[A-Za-z0-9._-]+$", key):
            self.problem(
                loc, "key", "complex keys become IRIs: use letters, digits, '.', '_' and '-'", rec.line_of("key")
            )
            return None
        return model.Complex(key, label, subunits, loc)


BIBLIOGRAPHY_COLUMNS = ("ref_id", "citation_label", "title", "year", "source", "doi", "pmid")


def read_bibliography(path: Path) -> list[model.Reference]:
    """Read the review's bibliography snapshot (``curation/bibliography.tsv``); a file that is not UTF-8,
    lacks a column or holds no rows is a :class:`CurationFileError`."""
    rows = csv.DictReader(io.StringIO(read_utf8(path), newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in BIBLIOGRAPHY_COLUMNS if c not in (rows.fieldnames or ())]
    if missing:
        raise CurationFileError(path, 1, f"the header lacks the column(s) {', '.join(missing)}")
    references = [
        model.Reference(r["ref_id"], r["citation_label"], r["title"], r["year"], r["source"], r["doi"], r["pmid"])
        for r in rows
    ]
    if not references:
        raise CurationFileError(path, 0, NO_RECORDS)
    return references


def read_dataset(path: Path, reader: _Reader) -> model.Dataset:
    data = load(path)
    loc = Loc(reader.rel(path), 1, "dataset")
    if not isinstance(data, Record):
        reader.problem(loc, "", "expected a mapping")
        return model.Dataset("", "", "", "", "", [], "")
    reader.unknown_keys(data, {"title", "description", "license", "version", "issued", "creators", "homepage"}, loc)
    get = lambda key: reader.text(data, key, loc) or ""  # noqa: E731
    issued = get("issued")
    if issued and not re.match(r"^\d{4}-\d{2}-\d{2}$", issued):
        reader.problem(loc, "issued", "expected a date YYYY-MM-DD", data.line_of("issued"))
    return model.Dataset(
        get("title"),
        get("description"),
        get("license"),
        get("version"),
        issued,
        reader.strings(data, "creators", loc),
        get("homepage"),
    )


def read_curation(root: Path) -> Curation:
    """Read every curation file under ``root``; raise :class:`ProblemsFound` listing all problems.

    Structural problems, duplicate ids and dangling references between records are reported here.
    """
    reader = _Reader(root)
    dataset_path = root / "dataset.yaml"
    bib_path = root / "bibliography.tsv"
    for required in (dataset_path, bib_path, root / "entities", root / "facts"):
        if not required.exists():
            raise ProblemsFound("read curation", [Problem(reader.rel(required), 0, "", "", "missing")])
    try:
        dataset = read_dataset(dataset_path, reader)
        curation = Curation(dataset=dataset, bibliography=read_bibliography(bib_path))
    except CurationFileError as exc:
        raise ProblemsFound("read curation", [Problem(reader.rel(exc.path), exc.line, "", "", exc.message)]) from exc

    origin: dict[str, Loc] = {}
    for path in sorted((root / "entities").glob("*.yaml")):
        try:
            data = load(path)
        except CurationFileError as exc:
            reader.problems.append(Problem(reader.rel(exc.path), exc.line, "", "", exc.message))
            continue
        reader.check_holds_records(data, ENTITY_SECTIONS, path)
        reader.entities(data, path, curation, origin)

    fact_origin: dict[str, Loc] = {}
    for path in sorted((root / "facts").glob("*.yaml")):
        file = reader.rel(path)
        try:
            data = load(path)
        except CurationFileError as exc:
            reader.problems.append(Problem(file, exc.line, "", "", exc.message))
            continue
        reader.check_holds_records(data, ("facts", "evidence"), path)
        if isinstance(data, Record):
            reader.unknown_keys(data, {"facts", "evidence"}, Loc(file, data.line, ""))
        for rec in reader.records(data, "facts", path):
            fact = reader.fact(rec, file)
            if fact is None:
                continue
            if fact.id in fact_origin:
                first = fact_origin[fact.id]
                reader.problem(fact.loc, "id", f"duplicate fact id (first at {first.file}:{first.line})")
                continue
            fact_origin[fact.id] = fact.loc
            curation.facts.append(fact)
        for rec in reader.records(data, "evidence", path):
            ev = reader.evidence(rec, file)
            if ev is None:
                continue
            if ev.id in curation.evidence:
                first = curation.evidence[ev.id].loc
                reader.problem(ev.loc, "id", f"duplicate evidence id (first at {first.file}:{first.line})")
                continue
            curation.evidence[ev.id] = ev

    _check_links(curation, reader)
    if reader.problems:
        raise ProblemsFound("read curation", reader.problems)
    curation.facts.sort(key=lambda f: f.id)
    return curation


def _check_links(curation: Curation, reader: _Reader) -> None:
    """Dangling references between records: evidence ids, entity keys, complex subunits."""
    cited: set[str] = set()
    for fact in curation.facts:
        for claim in fact.claims:
            for field, ids in (("supported_by", claim.supported_by), ("disputed_by", claim.disputed_by)):
                for eid in ids:
                    cited.add(eid)
                    if eid not in curation.evidence:
                        reader.problem(claim.loc, f"claims[{claim.id}].{field}", f"no evidence line {eid!r}")
            overlap = set(claim.supported_by) & set(claim.disputed_by)
            if overlap:
                reader.problem(
                    claim.loc,
                    f"claims[{claim.id}]",
                    f"{', '.join(sorted(overlap))} both supports and disputes the claim",
                )
        refs = [fact.agent, *(c.subject for c in fact.claims), *(c.object for c in fact.claims)]
        for ref in filter(None, refs):
            if ref.is_entity and ref.text not in curation.entities:
                reader.problem(ref.loc, ref.field, f"unknown entity key {ref.text!r} (define it in curation/entities/)")
    for ev in curation.evidence.values():
        if ev.id not in cited:
            reader.problem(ev.loc, "id", "evidence line cited by no claim")
    for entity in curation.entities.values():
        if isinstance(entity, model.Complex):
            for sub in entity.subunits:
                if not isinstance(curation.entities.get(sub), model.GeneProduct):
                    reader.problem(entity.loc, "subunits", f"{sub!r} is not a gene product key")
