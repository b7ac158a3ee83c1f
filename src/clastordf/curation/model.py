"""The in-memory model of the curation: entities, facts, claims and evidence lines.

Everything here is plain data read from ``curation/``; nothing here knows about RDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MECHANISMS = ("MatrixDerived", "CellContact", "Secreted", "VesicleMediated")
#: The review's own category of a mechanism: the Table 1 section row it falls under, or, for a
#: mechanism described only in the text, the section that describes it (s2; s3–s6; s7–s15; s16–s21; s22).
REVIEW_CATEGORIES = (
    "MembraneBoundFactors",
    "MatrixDerivedFactors",
    "SecretedClastokines",
    "PutativeClastokines",
    "EVContainedFactors",
)
#: Evidence levels, strongest first; computed from a claim's supporting lines (see :mod:`.derive`).
EVIDENCE_LEVELS = ("InVivoSupport", "InVitroOnly", "AuthorStatementOnly")
PHASES = ("Initiation", "Transition", "Termination")
SYSTEMS = (
    "InVitro",
    "InVivo",
    "InVivoKnockout",
    "InVivoConditionalKnockout",
    "HumanTissue",
    "Clinical",
    "LiteratureReview",
)
#: Systems that count as in vivo (or human) support for the evidence level.
IN_VIVO_SYSTEMS = ("InVivo", "InVivoKnockout", "InVivoConditionalKnockout", "HumanTissue", "Clinical")
FACT_TYPES = ("ClastokineFact", "RegulationFact")

PRODUCED_BY = "RO:0003001"
#: Not RO: a matrix-stored factor is released and activated by resorbing cells, not produced by them.
RELEASED_FROM_MATRIX_BY = "clasto:releasedFromMatrixBy"
SOURCE_PREDICATES = (PRODUCED_BY, RELEASED_FROM_MATRIX_BY)
RECEPTOR_PREDICATES = ("RO:0018027", "RO:0018029", "RO:0002436")
POSITIVE_EFFECT = ("RO:0004034", "RO:0002213", "RO:0002450")
NEGATIVE_EFFECT = ("RO:0004035", "RO:0002212", "RO:0002449")
CLAIM_PREDICATES = (
    "RO:0003001",
    "RO:0018027",
    "RO:0018029",
    "RO:0002436",
    "RO:0004034",
    "RO:0004035",
    "RO:0002213",
    "RO:0002212",
    "RO:0002450",
    "RO:0002449",
    "RO:0002206",
    "RO:0002607",
    RELEASED_FROM_MATRIX_BY,
)

#: The review every fact is derived from.
REVIEW_DOI = "10.7554/eLife.95083"


@dataclass(frozen=True)
class Loc:
    """Where something was curated: file, line and record id."""

    file: str
    line: int
    record: str


@dataclass(frozen=True)
class Ref:
    """A reference written by the curator: an entity key or a CURIE with an optional label."""

    text: str
    label: str | None
    field: str
    loc: Loc

    @property
    def is_entity(self) -> bool:
        return ":" not in self.text


@dataclass
class GeneProduct:
    key: str
    hgnc: str
    uniprot: str
    mouse_uniprot: str | None
    aliases: list[str]
    loc: Loc


@dataclass
class Chemical:
    key: str
    chebi: Ref
    aliases: list[str]
    loc: Loc


@dataclass
class MiRNA:
    key: str
    mirbase: Ref
    mouse_mirbase: Ref | None
    aliases: list[str]
    loc: Loc


@dataclass
class Complex:
    key: str
    label: str
    subunits: list[str]
    loc: Loc


Entity = GeneProduct | Chemical | MiRNA | Complex


@dataclass
class Note:
    text: str
    pmids: list[str]
    dois: list[str]


@dataclass
class Claim:
    id: str
    subject: Ref
    predicate: Ref
    object: Ref
    context: Ref | None
    supported_by: list[str]
    disputed_by: list[str]
    comment: str | None
    loc: Loc
    #: a curator's override of the computed evidence level, only with a stated reason
    level_override: str | None = None
    level_reason: str | None = None

    @property
    def contested(self) -> bool:
        """A claim is contested when some evidence line disputes it, whatever its category or level."""
        return bool(self.disputed_by)


@dataclass
class Fact:
    id: str
    type: str
    label: str
    agent: Ref  # the ligand of a ClastokineFact, the regulator of a RegulationFact
    ligand_form: str | None
    mechanism: str | None
    pathways: list[Ref]
    carrier: Ref | None
    phases: list[str]
    review_category: str
    source_locations: list[str]
    therapeutic_notes: list[Note]
    biomarker_notes: list[Note]
    comment: str | None
    claims: list[Claim]
    loc: Loc


@dataclass
class Evidence:
    id: str
    eco: Ref
    system: str
    taxa: list[Ref]
    pmid: str | None
    doi: str | None
    outside_bibliography: str | None
    comment: str | None
    loc: Loc
    #: UBERON terms: where in the body the in vivo or human evidence was obtained
    anatomy: list[Ref] = field(default_factory=list)
    #: the CL cell type in which the study deleted or manipulated the gene (e.g. a Cre driver's lineage)
    cell_manipulated: Ref | None = None


@dataclass(frozen=True)
class Reference:
    """One row of the review's bibliography."""

    ref_id: str
    label: str
    title: str
    year: str
    source: str
    doi: str
    pmid: str


@dataclass
class Dataset:
    title: str
    description: str
    license: str
    version: str
    issued: str
    creators: list[str]
    homepage: str


@dataclass
class Curation:
    dataset: Dataset
    entities: dict[str, Entity] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    bibliography: list[Reference] = field(default_factory=list)

    def bib_by_pmid(self) -> dict[str, Reference]:
        return {r.pmid: r for r in self.bibliography if r.pmid}

    def bib_by_doi(self) -> dict[str, Reference]:
        return {r.doi.lower(): r for r in self.bibliography if r.doi}
