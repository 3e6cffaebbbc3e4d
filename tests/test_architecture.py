"""The import rules of docs/architecture.md, checked over the source with `ast`.

1. layers: an app imports only apps below it:
   core < catalog < profiles < checkout < recommend < marketing, assistant < shop
   (marketing and assistant are peers: neither imports the other); `core`
   imports no app at all.
2. public surface: another app is reached only through its `selectors`,
   `services`, `signals` and `errors` modules; its `importing` module (the
   bulk import of the history) only from `shop`.
3. signals: an app's `signals.py` holds signal objects only (receivers live in
   `receivers.py`), so importing another app's signals never runs its code.
4. `recommend/ml/` imports no Django (nor DRF, Celery or any app outside
   `recommend.ml`): it is tested, benchmarked and run on a GPU box alone. It
   may use a `core` module that itself imports no Django (followed through
   core's own imports).

Imports under `if TYPE_CHECKING:` are type hints only and are allowed.
Imports inside functions count like any other. Migrations are left out
(Django writes them and names other apps by string). Every failure names the
file, the line and the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = {
    "core": 0,
    "catalog": 1,
    "profiles": 2,
    "checkout": 3,
    "recommend": 4,
    "marketing": 5,
    "assistant": 5,
    "shop": 6,
}
ORDER = "core < catalog < profiles < checkout < recommend < marketing, assistant < shop"
PUBLIC = {"selectors", "services", "signals", "errors"}
SHOP_ONLY = {"importing"}
ML_PACKAGE = "recommend.ml"
NOT_IN_ML = {"django", "rest_framework", "celery", "drf_spectacular", "django_filters", "django_celery_beat"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.detail}"


def module_name(path: str) -> str:
    """'checkout/services.py' -> 'checkout.services'; a package's __init__ is the package."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every import statement, at any depth, except those in `if TYPE_CHECKING:` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the else branch runs
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """The dotted modules (or module.name) an import statement reaches."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        base_parts = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join(base_parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def read_project_module(dotted: str) -> str | None:
    """The source of a project module by dotted name (a module or a package), or None."""
    base = ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def core_imports_django(target: str, read_module=read_project_module, seen: set[str] | None = None) -> str | None:
    """Which Django-family module the core module `target` (core.x or core.x.name) imports, directly or through
    other core modules; None when it imports none."""
    seen = set() if seen is None else seen
    parts = target.split(".")
    for end in range(len(parts), 1, -1):  # `core.text_encoder.TextEncoder` -> the module core.text_encoder
        module = ".".join(parts[:end])
        source = read_module(module)
        if source is not None:
            break
    else:
        return None
    if module in seen:
        return None
    seen.add(module)
    tree = ast.parse(source)
    is_package = read_module(module + ".__init__") is not None
    for node in _imports(tree):
        for imported in _targets(node, module, is_package):
            top = imported.split(".")[0]
            if top in NOT_IN_ML:
                return imported
            if top == "core":
                found = core_imports_django(imported, read_module, seen)
                if found:
                    return found
    return None


def check_source(path: str, source: str, *, read_module=read_project_module) -> list[Violation]:
    """The rule violations of one module, given its path relative to the repository root
    (`read_module` gives other project modules' sources, for core modules that recommend/ml uses)."""
    tree = ast.parse(source, filename=path)
    importer = module_name(path)
    is_package = Path(path).name == "__init__.py"
    own_app = importer.split(".")[0]
    in_ml = importer == ML_PACKAGE or importer.startswith(ML_PACKAGE + ".")
    found: list[Violation] = []

    def flag(node, rule: str, detail: str) -> None:
        found.append(Violation(path, node.lineno, rule, detail))

    for node in _imports(tree):
        for target in _targets(node, importer, is_package):
            parts = target.split(".")
            top = parts[0]
            if in_ml:
                inside_ml = target == ML_PACKAGE or target.startswith(ML_PACKAGE + ".")
                if top == "core":
                    via = core_imports_django(target, read_module)
                    if via:
                        flag(
                            node,
                            "ml-no-django",
                            f"{importer} imports {target}, which imports {via}: recommend/ml imports no Django",
                        )
                    continue
                if top in NOT_IN_ML or (top in LAYERS and not inside_ml):
                    flag(
                        node,
                        "ml-no-django",
                        f"{importer} imports {target}: recommend/ml imports no Django "
                        "and no app (arrays in, arrays out)",
                    )
                    continue
            if top not in LAYERS or top == own_app:
                continue
            if own_app == "core":
                flag(node, "core-imports-no-app", f"{importer} imports {target}: core is below every app")
                continue
            if own_app in LAYERS and LAYERS[top] >= LAYERS[own_app]:
                flag(node, "layers", f"{own_app} imports {top} ({target}): an app imports only apps below it ({ORDER})")
                continue
            if top == "core":
                continue
            if own_app not in LAYERS:
                continue
            surface = parts[1] if len(parts) > 1 else ""
            if surface in PUBLIC or (surface in SHOP_ONLY and own_app == "shop"):
                continue
            allowed = ", ".join(sorted(PUBLIC)) + " (and importing, from shop only)"
            flag(node, "public-surface", f"{importer} imports {target}: another app is used only through its {allowed}")
    if Path(path).name == "signals.py" and own_app in LAYERS:
        found.extend(_signals_only(path, tree))
    return found


def _signals_only(path: str, tree: ast.Module) -> list[Violation]:
    """A signals module: a docstring, imports and `name = Signal(...)` assignments, nothing else."""
    out = []
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        func = value.func if isinstance(value, ast.Call) else None
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "Signal":
            out.append(
                Violation(
                    path,
                    node.lineno,
                    "signals-only",
                    "signals.py holds signal objects only (receivers go in receivers.py)",
                )
            )
    return out


def project_modules() -> list[Path]:
    files = []
    for app in LAYERS:
        folder = ROOT / app
        if folder.is_dir():
            files.extend(p for p in folder.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts)
    return sorted(files)


def test_the_code_keeps_the_import_rules():
    modules = project_modules()
    assert len(modules) > 50, "the checker found too few modules to be looking at the project"
    violations = []
    for file in modules:
        rel = file.relative_to(ROOT).as_posix()
        violations.extend(check_source(rel, file.read_text(encoding="utf-8")))
    assert not violations, "import rules broken (docs/architecture.md):\n" + "\n".join(map(str, violations))


# --- the checker catches what it should, on synthetic modules ---------------------------------


def rules(path: str, source: str) -> list[tuple[int, str]]:
    return [(v.line, v.rule) for v in check_source(path, source)]


@pytest.mark.parametrize(
    "path, source, expected",
    [
        # a lower app importing a higher one, at the top or inside a function
        ("catalog/views.py", "from profiles import services\n", [(1, "layers")]),
        ("catalog/views.py", "def f():\n    from profiles.services import event_record\n", [(2, "layers")]),
        ("profiles/services.py", "import checkout.selectors\n", [(1, "layers")]),
        ("recommend/selectors.py", "from shop.accounts import client_ip\n", [(1, "layers")]),
        ("marketing/services.py", "from assistant import selectors\n", [(1, "layers")]),
        # another app's models, views or private helpers
        ("checkout/services.py", "from catalog.models import Product\n", [(1, "public-surface")]),
        ("checkout/services.py", "from catalog import selectors, models\n", [(1, "public-surface")]),
        ("checkout/views.py", "from profiles.portrait import SEGMENT_LABELS\n", [(1, "public-surface")]),
        ("shop/views.py", "import catalog\n", [(1, "public-surface")]),
        ("checkout/services.py", "from catalog import importing\n", [(1, "public-surface")]),
        # core is below everything
        ("core/db.py", "from catalog import selectors\n", [(1, "core-imports-no-app")]),
        # recommend/ml stays free of Django, directly or through an app
        ("recommend/ml/ease.py", "import django\n", [(1, "ml-no-django")]),
        ("recommend/ml/ease.py", "from django.db import models\n", [(1, "ml-no-django")]),
        ("recommend/ml/ease.py", "from .. import selectors\n", [(1, "ml-no-django")]),
        ("recommend/ml/ease.py", "from recommend.services import model_version_train\n", [(1, "ml-no-django")]),
        ("recommend/ml/sub/__init__.py", "from ... import models\n", [(1, "ml-no-django")]),
        # signals.py holds signals only
        (
            "catalog/signals.py",
            "from django.dispatch import Signal, receiver\nx = Signal()\n\n"
            "@receiver(x)\ndef on_x(sender, **kw):\n    pass\n",
            [(5, "signals-only")],
        ),
    ],
)
def test_the_checker_catches_a_violation(path, source, expected):
    assert rules(path, source) == expected


@pytest.mark.parametrize(
    "path, source",
    [
        ("checkout/services.py", "from catalog import selectors as s, services, errors\n"),
        ("checkout/services.py", "from catalog.selectors import product_find\nimport profiles.services\n"),
        ("profiles/receivers.py", "from catalog import signals\nfrom catalog.signals import product_viewed\n"),
        (
            "checkout/services.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from catalog.models import Product\n",
        ),
        ("checkout/services.py", "import typing\nif typing.TYPE_CHECKING:\n    from profiles.models import Customer\n"),
        ("shop/management/commands/import_online_retail.py", "from catalog import importing\n"),
        ("checkout/services.py", "from core.db import rows_bulk_insert\nfrom .models import Cart\n"),
        (
            "recommend/ml/hybrid.py",
            "import numpy as np\nfrom .base import Recommender\nfrom recommend.ml.data import InteractionData\n",
        ),
        ("recommend/services.py", "from recommend.ml.base import Recommender\nfrom django.db import transaction\n"),
        ("catalog/signals.py", '"""Doc."""\nfrom django.dispatch import Signal\nproduct_viewed = Signal()\n'),
    ],
)
def test_the_checker_allows_what_the_rules_allow(path, source):
    assert rules(path, source) == []


FAKE_CORE = {
    "core.text_encoder": "import numpy as np\nfrom core.paths import cache_dir\n",
    "core.paths": "from pathlib import Path\n",
    "core.db": "from django.db import connection\n",
    "core.settings_reader": "from core import db\n",
    "core": "",
}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from core.text_encoder import TextEncoder\n", []),
        ("def fit():\n    from core.text_encoder import TextEncoder\n", []),
        ("from core.db import rows_bulk_insert\n", [(1, "ml-no-django")]),
        ("from core.settings_reader import x\n", [(1, "ml-no-django")]),  # django two steps away
        ("from core import db\n", [(1, "ml-no-django")]),
    ],
)
def test_recommend_ml_may_use_core_modules_that_import_no_django(source, expected):
    found = check_source("recommend/ml/content.py", source, read_module=FAKE_CORE.get)
    assert [(v.line, v.rule) for v in found] == expected


def test_a_type_checking_block_does_not_hide_its_else_branch():
    source = (
        "if TYPE_CHECKING:\n    from catalog.models import Product\nelse:\n    from catalog.models import Category\n"
    )
    assert rules("checkout/services.py", source) == [(4, "public-surface")]


def test_the_failure_names_file_line_and_rule():
    (violation,) = check_source("catalog/views.py", "import os\n\nfrom profiles import services\n")
    assert str(violation).startswith("catalog/views.py:3: [layers] catalog imports profiles (profiles.services)")
