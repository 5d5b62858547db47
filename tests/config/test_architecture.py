"""The shape docs/architecture.md promises, checked on the source: which app may import which,
no cycle between them, no import hidden in a function to dodge one."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "couples",
    "audit",
    "goals",
    "sessions",
    "insurance",
    "triage",
    "measures",
    "plans",
    "notes",
    "pages",
)
# What each app must never import (the arrows of the picture only point down).
FORBIDDEN = {
    "audit": set(APPS) - {"audit"},  # it names couples' partners by foreign key only
    "couples": {"goals", "sessions", "insurance", "triage", "measures", "pages"},
    "sessions": {"insurance", "pages"},
    "insurance": {"pages"},
    # The work queue sits under the clinical apps that raise its items, above couples.
    "triage": {"goals", "sessions", "insurance", "measures", "pages"},
    # Measures raise triage items; nothing clinical below pages reads them.
    "measures": {"goals", "sessions", "insurance", "pages"},
    "goals": {"insurance", "pages", "measures"},
    # Session notes sit between the clinical apps and pages.
    "notes": {"insurance", "pages"},
    # Assessments and plans sit between the clinical apps and pages.
    "plans": {"insurance", "sessions", "pages", "measures"},
}


def app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def imported_apps(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(APPS)


def app_graph() -> dict[str, set[str]]:
    return {
        app: set().union(*(imported_apps(tree) for _, tree in app_modules(app))) - {app}
        for app in APPS
    }


def test_no_app_imports_what_sits_above_it():
    graph = app_graph()

    assert {app: graph[app] & FORBIDDEN.get(app, set()) for app in APPS} == {
        app: set() for app in APPS
    }


def test_the_shared_helpers_import_no_app():
    """common/ holds what several apps use (zone names, the site's host, form errors): it
    sits below every app, so it may import none of them."""
    used = set().union(*(imported_apps(tree) for _, tree in app_modules("common")))

    assert used == set()


def test_the_apps_import_each_other_without_a_cycle():
    graph = app_graph()
    cycles = []

    def visit(app: str, path: list[str]) -> None:
        for other in sorted(graph[app]):
            if other in path:
                cycles.append(path[path.index(other) :] + [other])
            else:
                visit(other, [*path, other])

    for app in APPS:
        visit(app, [app])
    assert cycles == []


def test_no_import_is_hidden_in_a_function_to_dodge_a_cycle():
    """An import inside a function needs a comment on its line or the one before saying why,
    and the reason may not be a cycle (restructure instead)."""
    hidden = []
    for app in (*APPS, "common", "config"):
        for path, tree in app_modules(app):
            lines = path.read_text().splitlines()
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        said = " ".join(lines[max(0, node.lineno - 2) : node.lineno])
                        reason = said.partition("#")[2].replace("noqa", "")
                        if len(reason.split()) < 3 or "cycl" in reason.lower():
                            hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hidden == []


def test_every_module_of_the_apps_is_read_in_one_sitting():
    """Past about 400 lines a module becomes a package split by subject; 450 is the limit."""
    long = {
        str(path.relative_to(ROOT)): length
        for app in (*APPS, "common", "config", "bench")
        for path, _ in app_modules(app)
        if (length := len(path.read_text().splitlines())) > 450
    }
    assert long == {}
