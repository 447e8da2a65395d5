"""The layers hold: services never speak HTTP nor import app.web, app/ never imports worker/, app/ has no import
cycles, and its top level is a few modules and packages, none named like the standard library."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
HTTP_NAMES = {"abort", "request", "make_response", "redirect", "render_template", "jsonify"}


def module_name(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports_of(path, modules=()):
    """The modules `path` imports (absolute names), also inside functions.

    `from pkg import name` counts as importing `pkg.name` when that is one of `modules`
    (a submodule), else as importing `pkg`.
    """
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found


def imported_last(path):
    """The submodules a package's __init__ imports in its last statement (`__all__` aside), or none.

    The blueprint pattern: app/staff/__init__.py makes `bp`, then imports views/, whose modules
    import `bp` back; by then the package is complete, so that loop is not a cycle.
    """
    if path.name != "__init__.py":
        return set()
    body = [node for node in ast.parse(path.read_text()).body if not _assigns_all(node)]
    last = body[-1] if body else None
    if not (isinstance(last, ast.ImportFrom) and last.level == 1 and last.module is None):
        return set()
    return {f"{module_name(path)}.{alias.name}" for alias in last.names}


def _assigns_all(node):
    return isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "__all__" for target in node.targets)


def app_import_graph():
    modules = {module_name(p): p for p in APP.rglob("*.py")}
    return {
        name: {m for m in imports_of(path, modules) if m in modules and m != name and m not in imported_last(path)}
        for name, path in modules.items()
    }


def find_cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search with colours)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_app_has_no_import_cycles():
    cycle = find_cycle(app_import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_under_app_imports_the_worker():
    offenders = {
        module_name(p): sorted(m for m in imports_of(p) if m.split(".")[0] == "worker") for p in APP.rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_services_never_speak_http():
    services = [*APP.rglob("service.py"), APP / "orders" / "processing.py"]
    offenders = {}
    for path in filter(Path.exists, services):
        names = {
            alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module in ("flask", "werkzeug.exceptions")
            for alias in node.names
        }
        if names & HTTP_NAMES or "abort(" in path.read_text():
            offenders[module_name(path)] = sorted(names & HTTP_NAMES)
    assert offenders == {}


def service_modules():
    """The service layer: each package's service.py, the order pipeline's processing, and the staff rules
    (app/staff/'s own modules; auth, which answers who is logged in, is the web's)."""
    staff_rules = [p for p in (APP / "staff").glob("*.py") if p.stem not in ("__init__", "auth")]
    return [p for p in [*APP.rglob("service.py"), APP / "orders" / "processing.py", *staff_rules] if p.exists()]


def test_services_never_import_the_web_layer():
    modules = {module_name(p): p for p in APP.rglob("*.py")}
    offenders = {
        module_name(p): sorted(m for m in imports_of(p, modules) if m == "app.web" or m.startswith("app.web."))
        for p in service_modules()
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_web_layer_check_sees_a_web_import():
    service = APP / "orders" / "service.py"
    assert service in service_modules()
    assert "app.web.negotiation" in imports_of(APP / "orders" / "views.py", {"app.web.negotiation"})


def test_the_staff_routes_are_in_staff_views():
    """Every module that adds routes to the staff blueprint is in app/staff/views/, which the package imports last."""
    route = ("@bp.get(", "@bp.post(", "@bp.route(")
    outside = [
        module_name(p)
        for p in (APP / "staff").rglob("*.py")
        if "views" not in p.relative_to(APP / "staff").parts and any(mark in p.read_text() for mark in route)
    ]
    assert outside == []
    assert imported_last(APP / "staff" / "__init__.py") == {"app.staff.views"}


def test_app_top_level_is_the_factory_its_settings_and_packages():
    """app/ holds at most 10 modules; every concern (web, infra, security, features) is a package."""
    modules = sorted(p.name for p in APP.glob("*.py"))
    assert len(modules) <= 10, modules


def test_no_package_or_module_of_app_is_named_like_the_standard_library():
    names = {p.stem for p in APP.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert names & sys.stdlib_module_names == set()
