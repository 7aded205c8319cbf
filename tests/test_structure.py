"""The import rules every module follows, checked on the source (no import is executed).

- No cycle among the apps' modules, whether an import sits at the top of a module or inside a
  function: a cycle is removed, not hidden. Between the apps, roadmaps uses skills and never the
  other way round (`skillsite`, the project, wires both and is left out of that check).
- One way in: a package that re-exports names (its `__init__.py` has `__all__`) is imported only
  through them; a package without `__all__` is imported only through its submodules and what its
  `__init__.py` itself defines.
- No `_private` name crosses a module, whether imported or read off an imported module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "skills", "roadmaps", "skillsite")
# Every module that imports the apps' code is held to the one-way-in and private-name rules.
IMPORTERS = (*APPS, "tests", "bench")


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module imported from (or the module imported)
    name: str | None  # the name taken from it; None for `import target`
    line: int

    def where(self) -> str:
        return f"{module_path(self.importer)}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for top in IMPORTERS:
        for path in (ROOT / top).rglob("*.py"):
            found[module_name(path)] = path
    return found


def module_path(name: str) -> str:
    return str(modules()[name].relative_to(ROOT))


def is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(), filename=str(modules()[name]))


def resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(importer: str) -> Iterator[Import]:
    """Every import of a project module in `importer`, at any depth (functions included)."""
    known = modules()
    for node in ast.walk(tree(importer)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield Import(importer, alias.name, None, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = resolve(importer, node)
            if source not in known:
                continue
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    yield Import(importer, submodule, None, node.lineno)
                else:
                    yield Import(importer, source, alias.name, node.lineno)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(found for name in sorted(modules()) for found in imports_of(name))


def is_inside(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def app_module(name: str) -> bool:
    return name.split(".")[0] in APPS and ".migrations" not in name


def import_graph() -> dict[str, set[str]]:
    """Module -> the app modules importing it runs. Importing `a.b.c` runs `a.b`'s `__init__`
    first, unless the importer is itself inside `a.b` (then that package is already loading)."""
    graph: dict[str, set[str]] = {name: set() for name in modules() if app_module(name)}
    for found in all_imports():
        if not (app_module(found.importer) and app_module(found.target)):
            continue
        parts = found.target.split(".")
        for depth in range(1, len(parts) + 1):
            ran = ".".join(parts[:depth])
            if ran != found.importer and not is_inside(found.importer, ran):
                graph[found.importer].add(ran)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def exported(package: str) -> set[str] | None:
    """The names in the package's `__all__`, or None when it has none."""
    for node in tree(package).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return {element.value for element in node.value.elts}
    return None


def defined_in(module: str) -> set[str]:
    """Names the module's own top-level statements bind, other than by importing them."""
    names = set()
    for node in tree(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def one_way_in_breaches() -> list[str]:
    breaches = []
    for found in all_imports():
        if ".migrations." in found.importer:
            continue  # generated: makemigrations writes where each object is defined
        parts = found.target.split(".")
        # From depth 2: the top-level packages are the apps and the project, not façades (skillsite's
        # `__all__` names the Celery app that Django loads with it).
        for depth in range(2, len(parts)):
            package = ".".join(parts[:depth])
            if exported(package) is not None and not is_inside(found.importer, package):
                breaches.append(f"{found.where()}: imports {found.target}, but {package} re-exports its names")
        if found.name is not None and is_package(found.target) and not is_inside(found.importer, found.target):
            names = exported(found.target)
            if names is None and found.name not in defined_in(found.target):
                breaches.append(
                    f"{found.where()}: takes {found.name} from {found.target}, which only imports it"
                    " (a package without __all__ is imported through its submodules)"
                )
            elif names is not None and found.name not in names:
                breaches.append(f"{found.where()}: {found.name} is not in {found.target}.__all__")
    return breaches


def module_aliases(importer: str) -> dict[str, str]:
    """Local name -> project module, for the modules `importer` binds to a name."""
    aliases = {}
    for node in ast.walk(tree(importer)):
        if isinstance(node, ast.ImportFrom):
            source = resolve(importer, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in modules():
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in modules():
                    aliases[alias.asname] = alias.name
    return aliases


def attributes_read(importer: str) -> Iterator[tuple[str, str, int]]:
    """(module, attribute, line) for every `alias.attribute` read off an imported project module."""
    aliases = module_aliases(importer)
    for node in ast.walk(tree(importer)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            yield aliases[node.value.id], node.attr, node.lineno


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def dotted_paths(importer: str) -> Iterator[tuple[str, str, int]]:
    """(module, attribute, line) for strings such as "skills.admin.common.NAME" (monkeypatch targets)."""
    for node in ast.walk(tree(importer)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "." in node.value:
            module, _, attribute = node.value.rpartition(".")
            if module in modules() and attribute.isidentifier():
                yield module, attribute, node.lineno


def private_name_breaches() -> list[str]:
    breaches = [
        f"{found.where()}: imports {found.name} from {found.target}"
        for found in all_imports()
        if found.name is not None and is_private(found.name) and found.target != found.importer
    ]
    for importer in modules():
        for module, attribute, line in [*attributes_read(importer), *dotted_paths(importer)]:
            if is_private(attribute) and module != importer:
                breaches.append(f"{module_path(importer)}:{line}: reads {attribute} of {module}")
    return breaches


def attribute_breaches() -> list[str]:
    """Names read off a package that only imports them (`services.roadmap_create`)."""
    breaches = []
    for importer in modules():
        for module, attribute, line in attributes_read(importer):
            if not is_package(module) or is_inside(importer, module) or f"{module}.{attribute}" in modules():
                continue
            names = exported(module)
            if attribute not in (names if names is not None else defined_in(module)):
                breaches.append(
                    f"{module_path(importer)}:{line}: reads {attribute} off {module}, which only imports it"
                )
    return breaches


def test_no_import_cycle_among_the_apps_modules():
    assert cycles(import_graph()) == []


def test_skills_never_imports_roadmaps():
    apps = {(f.importer.split(".")[0], f.target.split(".")[0]) for f in all_imports() if app_module(f.importer)}
    assert ("skills", "roadmaps") not in apps


def test_a_package_is_imported_one_way():
    assert one_way_in_breaches() + attribute_breaches() == []


def test_no_private_name_crosses_a_module():
    assert private_name_breaches() == []


def test_the_checks_see_a_cycle_a_second_way_in_and_a_private_name():
    """The rules above catch what they are meant to (on a made-up graph and on this module)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "skills.models" in import_graph()["skills.admin.registry"]
    assert exported("skills.models") and "Skill" in exported("skills.models")
    assert "module_name" in defined_in("tests.test_structure")


def test_the_tests_share_one_admin_client_and_one_factories_module():
    """Staff are pytest-django's `admin_user` and `admin_client`, never redefined; every factory
    is in tests/factories.py."""
    redefined, factories = [], []
    for name in modules():
        if not name.startswith("tests."):
            continue
        for node in ast.walk(tree(name)):
            if isinstance(node, ast.FunctionDef) and node.name in {"admin_client", "admin_user"}:
                redefined.append(f"{module_path(name)}:{node.lineno}")
            if isinstance(node, ast.ClassDef) and any("Factory" in ast.unparse(base) for base in node.bases):
                factories.append(name)
    assert redefined == []
    assert set(factories) == {"tests.factories"}
