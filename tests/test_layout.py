"""The folder layout is the architecture, and no engine module imports itself back through another."""
import os

import pytest
import re

ROOT = os.path.join(os.path.dirname(__file__), "..")
ENGINE = os.path.join(ROOT, "engine")


def _modules() -> dict[str, str]:
    found = {}
    for folder, _, names in os.walk(ENGINE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                inside = os.path.relpath(path, ENGINE)[:-3].replace(os.sep, ".")
                module = f"warrant.{inside}".removesuffix(".__init__")     # engine/ is installed as `warrant`
                found[module] = open(path, encoding="utf-8").read()
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for module, text in modules.items():
        targets = set()
        for match in re.finditer(r"^\s*(?:from|import)\s+(warrant(?:\.[a-z_]+)*)", text, re.M):
            name = match.group(1)
            while name not in modules and "." in name:
                name = name.rsplit(".", 1)[0]
            if name != module and name in modules and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = targets
    return graph


def test_no_import_cycles_even_through_lazy_imports():
    graph = _graph()
    state: dict = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if target.endswith("__init__") or target in ("warrant", "warrant.pipeline", "warrant.author",
                                                        "warrant.review", "warrant.batch", "warrant.checker",
                                                        "warrant.analysis"):
                continue
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [node, target]))
            if target not in state:
                visit(target, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_pipeline_depends_on_no_tool():
    """The pipeline is the core: author, review, batch and checker build on it, not the other way round
    (what would have to change is searched on top of a decision, by the caller)."""
    for module, targets in _graph().items():
        if module.startswith("warrant.pipeline"):
            for target in targets:
                assert target.startswith("warrant.pipeline"), (module, target)


def test_stage_folders():
    assert sorted(n for n in os.listdir(ENGINE) if os.path.isdir(os.path.join(ENGINE, n)) and n != "__pycache__") == \
        ["analysis", "author", "batch", "checker", "log", "lsp", "pipeline", "review", "serve"]


# Tests that reach a private name of the module they test, by design (a test about that module).
TESTS_MAY_REACH = {
    "test_counterfactual.py": {"warrant.review.counterfactual"},
    "test_rulebase.py": {"warrant.review.browse", "warrant.pipeline.datalog"},
    "test_cache.py": {"warrant.pipeline.rulebase"},
    "test_batch.py": {"warrant.batch.encoding", "warrant.batch.relevance"},   # a check tested afresh, as reference
    "test_invariants.py": {"warrant.author.invariants"},
    "test_limits.py": {"warrant.pipeline.request"},
    "test_analysis.py": {"warrant.analysis.solve"},         # the canonical model's order, searched one by one
    "warrant_evaluator.py": {"warrant.pipeline.check"},      # the conformance adapter reads the IR as the checker does
}
_PRIVATE = re.compile(r"^\s*from\s+(warrant(?:\.[a-z_]+)+)\s+import\s+\(?([^)\n]*)", re.M)


def _private_imports(text: str):
    for match in _PRIVATE.finditer(text):
        names = [n.strip().split(" as ")[0] for n in match.group(2).split(",")]
        for name in names:
            if name.startswith("_") and not name.startswith("__"):
                yield match.group(1), name


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0]


def test_no_private_name_is_imported_from_another_package():
    """A name with a leading underscore is its package's own: other packages (and the CLI) use public names."""
    for module, text in _modules().items():
        for source, name in _private_imports(text):
            assert _package(source) == _package(module), f"{module} imports {name} from {source}"


def test_tests_use_public_names_except_of_the_module_they_test():
    for folder, _, names in os.walk(os.path.join(ROOT, "tests")):
        for name in names:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                for source, private in _private_imports(text):
                    assert source in TESTS_MAY_REACH.get(name, set()), f"tests/{name} imports {private} from {source}"


def test_the_installed_distribution_has_one_top_level_name():
    """`pip install .` puts `warrant` into site-packages and nothing generic (`engine`, `cli`)."""
    import tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        project = tomllib.load(handle)
    setup = project["tool"]["setuptools"]
    assert {p.split(".")[0] for p in setup["packages"]} == {"warrant"}
    assert not setup.get("py-modules")
    assert project["project"]["scripts"] == {"warrant": "warrant._cli:main"}


SURFACES = ("warrant.lsp", "warrant.serve", "warrant.serve.auth")   # surfaces on the API the command starts


def test_the_cli_uses_the_public_api_alone():
    """`warrant` at the shell is an integrator like any other: it imports `warrant` and uses only its
    exported names (so everything the command line can do, Python can do the same way)."""
    import ast

    import warrant
    tree = ast.parse(open(os.path.join(ENGINE, "_cli.py"), encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("warrant"), f"_cli.py:{node.lineno} imports {node.module}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name in ("warrant", *SURFACES) or not alias.name.startswith("warrant"), \
                    f"_cli.py:{node.lineno} imports {alias.name}"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "warrant":
            assert node.attr in warrant.__all__, f"_cli.py:{node.lineno} uses warrant.{node.attr}, not in the API"


@pytest.mark.parametrize("surface", ["warrant.lsp", "warrant.serve"])
def test_the_surfaces_use_the_public_api_alone(surface):
    """`warrant.lsp` and `warrant.serve` are surfaces on the front door: each imports `warrant` and its own
    modules, nothing of the engine's, and uses only exported names (so what the editor shows and the service
    answers is what `import warrant` gives)."""
    import ast

    import warrant
    for module, text in _modules().items():
        if not module.startswith(surface):
            continue
        for node in ast.walk(ast.parse(text)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert name == "warrant" or name.startswith(surface) or not name.startswith("warrant"), \
                    f"{module}:{node.lineno} imports {name}"
            if isinstance(node, ast.ImportFrom) and node.module == "warrant":
                assert all(a.name in warrant.__all__ for a in node.names), f"{module}:{node.lineno}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "warrant":
                assert node.attr in warrant.__all__ or node.attr == "__file__", \
                    f"{module}:{node.lineno} uses warrant.{node.attr}"
