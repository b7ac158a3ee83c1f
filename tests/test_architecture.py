"""The package's shape: data flows one way through the pipeline stages, and no module reaches into
another package's private names.

Imports are read from the source (``ast``), so an import inside a function or under
``TYPE_CHECKING`` counts too: it is still a dependency, even if it is not run when the module is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import REPO

ROOT = "clastordf"
SOURCE = REPO / "src" / ROOT

#: The layers, lowest first, each a set of units (a subpackage, or a module of the top package; the
#: top package itself is ``clastordf``). A module may import its own unit and the units of lower
#: layers; never a higher layer, nor another unit of its own layer (stages side by side do not know
#: each other).
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(ROOT if name == ROOT else f"{ROOT}.{name}" for name in layer.split())
    for layer in (
        # the base every stage may use: the package, files, problems, the project and progress
        # reporting; then the vocabulary and the build's output set (written with files)
        f"{ROOT} files problems project progress",
        "vocab outputs",
        "curation",
        "terms",
        "graph",
        "ontology",
        "validate",
        "rdfio",
        "wikipathways reports",
        "release",
        "build server",  # the pipeline runs every stage but the server; the server serves builds and releases
        "cli",
        "__main__",
    )
)

#: Packages the rest of clastordf uses only through the names their ``__init__`` exports.
SURFACES = frozenset({f"{ROOT}.server"})


@dataclass(frozen=True)
class Import:
    """One import statement of a module: what it imports from where."""

    module: str
    line: int
    target: str  # the module imported (a submodule when ``from package import submodule``)
    names: tuple[str, ...] = ()  # the names taken from ``target`` (``from target import a, b``)

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.module}, line {self.line}: imports {self.target}{taken}"


@dataclass
class ImportGraph:
    """The imports among a set of modules."""

    modules: set[str]
    imports: list[Import] = field(default_factory=list)


def module_name(path: Path, source: Path = SOURCE) -> str:
    """``src/clastordf/server/__init__.py`` -> ``clastordf.server``."""
    parts = path.relative_to(source.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def unit(module: str) -> str:
    """The unit a module belongs to: its subpackage, else itself (a module of the top package)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def read_imports(module: str, source: str, modules: set[str], is_package: bool = False) -> list[Import]:
    """Every import of ``module`` (whose text is ``source``) of a module in ``modules``; relative
    imports resolved, ``from package import submodule`` taken as an import of the submodule, and a
    private attribute read through an imported module (``layout._x``) taken as importing that name."""
    root = module.split(".")[0]
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    aliases: dict[str, str] = {}  # local name -> module it is bound to
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == root:
                    found.append(Import(module, node.lineno, alias.name))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != root:
                continue
            names = []
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    found.append(Import(module, node.lineno, f"{target}.{alias.name}"))
                    aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
                else:
                    names.append(alias.name)
            if names:
                found.append(Import(module, node.lineno, target, tuple(names)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and is_private(node.attr):
            if node.value.id in aliases:
                found.append(Import(module, node.lineno, aliases[node.value.id], (node.attr,)))
    return [i for i in found if i.target in modules]


def package_graph(source: Path = SOURCE) -> ImportGraph:
    files = {module_name(p, source): p for p in sorted(source.rglob("*.py"))}
    graph = ImportGraph(set(files))
    for module, path in files.items():
        graph.imports += read_imports(module, path.read_text(encoding="utf-8"), graph.modules, path.stem == "__init__")
    return graph


def cycles(graph: ImportGraph) -> list[list[Import]]:
    """The import circles: for each set of modules that import one another (a strongly connected
    component), its shortest circle through its first module, as the imports that make it."""
    edges: dict[str, dict[str, Import]] = {m: {} for m in graph.modules}
    for i in sorted(graph.imports, key=lambda i: (i.module, i.line)):
        edges[i.module].setdefault(i.target, i)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set(stack[stack.index(node) :])
            del stack[stack.index(node) :]
            if len(component) > 1 or node in edges[node]:
                components.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    found = []
    for component in sorted(components, key=min):
        start = min(component)
        paths: dict[str, list[Import]] = {start: []}
        queue = [start]
        while queue:  # breadth first inside the component, back to the start
            node = queue.pop(0)
            for nxt, imp in sorted(edges[node].items()):
                if nxt == start:
                    queue = []
                    found.append([*paths[node], imp])
                    break
                if nxt in component and nxt not in paths:
                    paths[nxt] = [*paths[node], imp]
                    queue.append(nxt)
    return found


def layer(module: str, layers: tuple[frozenset[str], ...] = LAYERS) -> int:
    for number, units in enumerate(layers):
        if unit(module) in units:
            return number
    raise LookupError(f"{module} is in no layer: add {unit(module)} to LAYERS")


def upward(graph: ImportGraph, layers: tuple[frozenset[str], ...] = LAYERS) -> list[Import]:
    """Imports of a higher layer, or of another unit of the same layer."""
    return [
        i
        for i in graph.imports
        if unit(i.module) != unit(i.target) and layer(i.target, layers) >= layer(i.module, layers)
    ]


def private(graph: ImportGraph) -> list[Import]:
    """Private names (``_x``) taken from another unit's modules, and private modules of another unit."""
    return [
        i
        for i in graph.imports
        if unit(i.module) != unit(i.target)
        and (any(is_private(n) for n in i.names) or any(is_private(p) for p in i.target.split(".")))
    ]


def around_surface(graph: ImportGraph, surfaces: frozenset[str] = SURFACES) -> list[Import]:
    """Imports, from outside a package of ``surfaces``, of one of its modules rather than the package."""
    return [i for i in graph.imports if unit(i.target) in surfaces and unit(i.module) != unit(i.target) != i.target]


def listing(imports: Iterable[Import]) -> str:
    return "\n".join(f"  {i}" for i in imports)


# -------------------------------------------------------------------------------------- the package


def test_every_module_has_a_layer():
    graph = package_graph()
    assert len(graph.modules) > 50
    unplaced = sorted({unit(m) for m in graph.modules if not any(unit(m) in units for units in LAYERS)})
    assert not unplaced, f"units in no layer of LAYERS: {unplaced}"


def test_no_import_cycles():
    found = cycles(package_graph())
    assert not found, "import cycles:\n" + "\n\n".join(listing(c) for c in found)


def test_stages_import_only_lower_stages():
    found = upward(package_graph())
    assert not found, "imports of a later stage (see LAYERS):\n" + listing(found)


def test_no_private_names_of_other_packages():
    found = private(package_graph())
    assert not found, "private names taken from another package:\n" + listing(found)


def test_the_server_is_used_through_its_package():
    found = around_surface(package_graph())
    assert not found, "imports from behind a package's public names (import the package):\n" + listing(found)


# ----------------------------------------------------------------------------- the checker itself

MODULES = {"p", "p.a", "p.a.one", "p.a.two", "p.b", "p.b.low", "p.top"}
TOY_LAYERS = (frozenset({"p"}), frozenset({"p.b"}), frozenset({"p.a"}), frozenset({"p.top"}))


def toy(*imports: Import) -> ImportGraph:
    return ImportGraph(set(MODULES), list(imports))


def test_read_imports_resolves_relative_lazy_and_type_checking_imports():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import two\n"
        "from ..b.low import thing, _hidden\n"
        "if TYPE_CHECKING:\n"
        "    from .two import Model\n"
        "def f():\n"
        "    import p.top as top\n"
        "    return top._secret, two.public\n"
    )
    found = read_imports("p.a.one", source, MODULES)
    assert {(i.line, i.target, i.names) for i in found} == {
        (2, "p.a.two", ()),
        (3, "p.b.low", ("thing", "_hidden")),
        (5, "p.a.two", ("Model",)),
        (7, "p.top", ()),
        (8, "p.top", ("_secret",)),
    }
    package = read_imports("p.a", "from .one import x\nfrom . import two\n", MODULES, is_package=True)
    assert {i.target for i in package} == {"p.a.one", "p.a.two"}


def test_a_cycle_is_reported_with_its_imports():
    graph = toy(
        Import("p.a.one", 3, "p.a.two", ("Diagram",)),
        Import("p.a.two", 30, "p.a.one", ("Model",)),
        Import("p.a.two", 31, "p.b.low"),
    )
    found = cycles(graph)
    assert [[str(i) for i in c] for c in found] == [
        ["p.a.one, line 3: imports p.a.two (Diagram)", "p.a.two, line 30: imports p.a.one (Model)"]
    ]
    assert cycles(toy(Import("p.a.one", 3, "p.a.two"), Import("p.a.two", 31, "p.b.low"))) == []
    assert [len(c) for c in cycles(toy(Import("p.b", 1, "p.b")))] == [1]


def test_an_upward_or_sideways_import_is_reported():
    down = Import("p.a.one", 1, "p.b.low")
    up = Import("p.b.low", 7, "p.a.two", ("Model",))
    to_top = Import("p.a.one", 2, "p.top")
    base = Import("p.b.low", 3, "p")
    inside = Import("p.a.one", 4, "p.a.two")
    assert upward(toy(down, up, to_top, base, inside), TOY_LAYERS) == [up, to_top]
    sideways = (frozenset({"p"}), frozenset({"p.a", "p.b"}), frozenset({"p.top"}))
    assert upward(toy(down, base), sideways) == [down]


def test_private_names_of_another_package_are_reported():
    other = Import("p.a.one", 5, "p.b.low", ("thing", "_hidden"))
    own = Import("p.a.one", 6, "p.a.two", ("_helper",))
    dunder = Import("p.a.one", 7, "p", ("__version__",))
    assert private(toy(other, own, dunder)) == [other]
    assert "p.a.one, line 5: imports p.b.low (thing, _hidden)" in listing(private(toy(other)))


def test_reaching_behind_a_package_surface_is_reported():
    behind = Import("p.top", 3, "p.a.two", ("Model",))
    through = Import("p.top", 4, "p.a", ("Model",))
    inside = Import("p.a.one", 5, "p.a.two", ("Model",))
    assert around_surface(toy(behind, through, inside), frozenset({"p.a"})) == [behind]
