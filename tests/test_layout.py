"""The folder layout is the architecture, and no engine module imports itself back through another."""
import os
import re

ROOT = os.path.join(os.path.dirname(__file__), "..")
ENGINE = os.path.join(ROOT, "engine")


def _modules() -> dict[str, str]:
    found = {}
    for folder, _, names in os.walk(ENGINE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__")
                found[module] = open(path, encoding="utf-8").read()
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for module, text in modules.items():
        targets = set()
        for match in re.finditer(r"^\s*(?:from|import)\s+(engine(?:\.[a-z_]+)*)", text, re.M):
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
            if target.endswith("__init__") or target in ("engine", "engine.pipeline", "engine.author",
                                                        "engine.review", "engine.batch", "engine.checker",
                                                        "engine.analysis"):
                continue
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path + [node, target]))
            if target not in state:
                visit(target, path + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_pipeline_depends_on_no_tool_except_the_counterfactuals_decisions_offer():
    """The pipeline is the core: author, review, batch and checker build on it, not the other way round."""
    allowed = {("engine.pipeline.decide", "engine.review.counterfactual")}   # what would have to change, in a decision
    for module, targets in _graph().items():
        if module.startswith("engine.pipeline"):
            for target in targets:
                if not target.startswith("engine.pipeline"):
                    assert (module, target) in allowed, (module, target)


def test_stage_folders():
    assert sorted(n for n in os.listdir(ENGINE) if os.path.isdir(os.path.join(ENGINE, n)) and n != "__pycache__") == \
        ["analysis", "author", "batch", "checker", "pipeline", "review"]
