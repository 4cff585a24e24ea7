"""The shape of the code: the packages import each other in the order docs/architecture.md lists
(no cycle between packages, nor between modules), the driver (the launchers, the runner, Tune's
callbacks, every searcher and scheduler) imports no torch, and the sweep-file loader
(sweeps.definition) imports neither Ray nor torch."""

from __future__ import annotations

import ast
import re
import sys

from tests.conftest import ROOT
from tests.helpers.imports import LIGHTNING, TORCH, loaded_after

PACKAGES = ("sweeps", "launchers", "lightning_modules", "typed_config")


def project_imports() -> dict[str, set[str]]:
    """Each project module and the project modules it imports (at the top or in a function)."""
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in modules
                    else node.module
                    for alias in node.names
                }
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {module for module in found if module in modules and module != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while not group or group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles():
    graph = project_imports()
    assert len(graph) > 80
    assert cycles(graph) == []


def package_of(module: str) -> str:
    """A module's package: its second-level package in ``sweeps`` and ``lightning_modules``
    (``lightning_modules.configs``; a module at the second level is its own), else its top level."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] in ("sweeps", "lightning_modules") else parts[0]


def package_imports(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The imports between packages (see ``package_of``)."""
    packages: dict[str, set[str]] = {}
    for module, imported in graph.items():
        packages.setdefault(package_of(module), set()).update(
            package_of(name) for name in imported if package_of(name) != package_of(module)
        )
    return packages


def listed_layers() -> list[str]:
    """The packages from the bottom up, as docs/architecture.md lists them."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    body = text.split("<!-- layers:begin -->", 1)[1].split("<!-- layers:end -->", 1)[0]
    return re.findall(r"^\d+\. `([\w.]+)`", body, flags=re.MULTILINE)


def against_the_order(graph: dict[str, set[str]], layers: list[str]) -> list[str]:
    """Each import of a package by one listed below it (or by itself listed nowhere)."""
    position = {name: index for index, name in enumerate(layers)}
    return sorted(
        f"{package} imports {other}"
        for package, imported in graph.items()
        for other in imported
        if package not in position or other not in position or position[other] > position[package]
    )


def test_the_packages_import_each_other_in_the_documented_order_only():
    graph = package_imports(project_imports())
    layers = listed_layers()
    assert len(layers) == len(set(layers)) > 20
    assert sorted(graph) == sorted(layers), "docs/architecture.md lists every package once"
    assert against_the_order(graph, layers) == []
    assert cycles(graph) == []


def test_the_order_check_finds_an_import_against_the_order():
    graph = {"low": set(), "middle": {"low"}, "high": {"middle", "low"}}
    assert against_the_order(graph, ["low", "middle", "high"]) == []
    graph["low"] = {"high"}
    assert against_the_order(graph, ["low", "middle", "high"]) == ["low imports high"]
    assert against_the_order(graph, ["low", "high"]) == [
        "high imports middle",
        "low imports high",
        "middle imports low",
    ]


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_driver_imports_no_torch():
    code = (
        "import launchers.cli, launchers.local, launchers.cluster, sweeps.driver.runner, sweeps.trial.entry\n"
        "import sweeps.driver.output_tables, sweeps.driver.progress, sweeps.driver.tensorboard_logging\n"
        "import sweeps.driver.result_log, sweeps.driver.resume_repair, sweeps.driver.disk_guard, sweeps.driver.metric_check\n"
        "from sweeps.schedulers import SCHEDULERS, scheduler_module\n"
        "from sweeps.searchers import SEARCHERS, searcher_module\n"
        "[scheduler_module(name) for name in SCHEDULERS]\n"
        "[searcher_module(name) for name in SEARCHERS]"
    )
    assert loaded_after(code, TORCH) == []


def test_the_typed_config_base_imports_nothing_else_of_the_project():
    """The strict base model and its rules sit below both the sweep framework and the model
    families."""
    graph = project_imports()
    above = {
        module: sorted(name for name in imported if not name.startswith("typed_config"))
        for module, imported in graph.items()
        if module.startswith("typed_config")
    }
    assert not any(above.values()), above


def test_the_searchers_and_schedulers_import_nothing_of_the_model_families():
    graph = project_imports()
    zoo = {
        module: sorted(name for name in imported if name.startswith("lightning_modules"))
        for module, imported in graph.items()
        if module.startswith(("sweeps.searchers", "sweeps.schedulers"))
    }
    assert not any(zoo.values()), zoo


def test_the_loader_imports_neither_ray_nor_torch():
    code = (
        "from sweeps.definition import load_sweep\n"
        "from tests.conftest import SHIPPED_SWEEPS\n"
        "[load_sweep(path) for path in SHIPPED_SWEEPS]"
    )
    assert loaded_after(code, ("ray", *TORCH)) == []


def test_the_networks_import_no_lightning():
    code = (
        "from lightning_modules.configs.data_info import DataInfo\n"
        "from lightning_modules.registry import MODEL_FAMILIES\n"
        "data = DataInfo('image', (1, 8, 8), 10)\n"
        "[f.network_builder()(f.config(), data, 10) for f in MODEL_FAMILIES.values()]"
    )
    assert loaded_after(code, LIGHTNING) == []


def test_the_module_map_in_the_docs_is_current():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from module_map import BEGIN, END, module_map
    finally:
        sys.path.remove(str(ROOT / "docs"))
    text = (ROOT / "docs" / "architecture.md").read_text()
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert current == module_map(), "regenerate it: python docs/module_map.py --write"


def test_checking_a_users_module_imports_nothing_that_builds_its_trial():
    """Load-time checking of a user's module (what the sweep file's model sections are read with)
    stands apart from building a trial's module and Trainer."""
    graph = project_imports()
    reached: set[str] = set()
    todo = ["sweeps.user_model.model_section", "sweeps.user_model.hydra_section"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module])
    building = {
        "sweeps.user_model.build",
        "sweeps.user_model.hydra_build",
        "sweeps.user_model.trial_model",
    }
    assert not reached & building, sorted(reached & building)
