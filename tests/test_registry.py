import pytest

from synthzoo._registry import Registry, UnknownNameError


def test_register_get_and_names():
    reg = Registry("widget", "synthzoo.test-widgets-none")

    @reg.register()
    class A:
        name = "alpha"

    @reg.register("beta")
    class B:
        pass

    assert reg.names() == ["alpha", "beta"]
    assert reg.get("alpha") is A and reg.get("beta") is B
    assert "alpha" in reg and "gamma" not in reg
    assert [e.source for e in reg.entries()] == ["runtime", "runtime"]


def test_unknown_name_lists_valid_names():
    reg = Registry("widget", "synthzoo.test-widgets-none")
    reg.register("alpha")(object())
    with pytest.raises(UnknownNameError) as exc:
        reg.get("alpah")
    assert "unknown widget 'alpah'; available: alpha" in str(exc.value)


def test_duplicate_and_nameless_registration_rejected():
    reg = Registry("widget", "synthzoo.test-widgets-none")

    class A:
        name = "a"

    reg.register()(A)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(type("Other", (), {}))
    with pytest.raises(ValueError, match="no name"):
        reg.register()(type("Nameless", (), {}))


def test_generator_registry_has_builtins():
    from synthzoo.generators import GENERATORS, create

    assert "neuro-mri" in GENERATORS.names()
    with pytest.raises(UnknownNameError, match="available: .*neuro-mri"):
        create("neuro-mrii")


def test_builtins_are_the_entry_points_of_the_checkouts_pyproject():
    """Every built-in part is an entry point in pyproject.toml, read from the checkout (so a
    stale editable install cannot hide one); each loads and carries the name it is listed by."""
    import tomllib
    from pathlib import Path

    from synthzoo._registry import GROUPS, builtin_entry_points, source_pyproject

    path = source_pyproject()
    assert path == Path(__file__).resolve().parents[1] / "pyproject.toml"
    declared = tomllib.loads(path.read_text())["project"]["entry-points"]
    assert set(declared) == set(GROUPS)
    eps = builtin_entry_points()
    for group in GROUPS:
        assert {n: ep.value for n, ep in eps[group].items()} == declared[group]
    from synthzoo.generators import GENERATORS

    assert {e.name: e.source for e in GENERATORS.entries()}["neuro-mri"] == "builtin"
    assert GENERATORS.get("micro-ct").__module__ == "synthzoo.generators.domains.micro_ct"


def test_every_bundled_weight_card_has_its_entry_point():
    from synthzoo.zoo.models import bundled_cards
    from synthzoo.zoo.registry import MODELS

    names = [c.name for c in bundled_cards()]
    assert names, "no bundled weight cards found"
    missing = [n for n in names if n not in MODELS.names()]
    assert not missing, f"bundled cards without an entry point in pyproject.toml: {missing}"
    for n in names:
        assert MODELS.get(n).card.name == n


def test_listing_imports_nothing_and_a_plugin_cannot_take_a_builtin_name(monkeypatch):
    import subprocess
    import sys

    code = ("import sys; from synthzoo.generators import GENERATORS; from synthzoo.datasets import DATASETS; "
            "from synthzoo.zoo.registry import MODELS; n = GENERATORS.names() + DATASETS.names() + MODELS.names(); "
            "assert 'neuro-mri' in n and 'em-cells' in n and 'unet' in n; "
            "print(sorted(m for m in sys.modules if '.domains.' in m or m.startswith('synthzoo.datasets.em')"
            " or m == 'synthzoo.zoo.bundled'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

    from importlib.metadata import EntryPoint

    from synthzoo import _registry
    from synthzoo._registry import PluginWarning, Registry

    clash = EntryPoint("neuro-mri", "nowhere:Thing", "synthzoo.generators")
    monkeypatch.setattr(_registry, "entry_points", lambda group: [clash] if group == "synthzoo.generators" else [])
    reg = Registry("generator", "synthzoo.generators")
    with pytest.warns(PluginWarning, match="plugin 'neuro-mri' .*ignored: a built-in has that name"):
        entries = reg.entries()
    assert {e.name: e.entry_point for e in entries}["neuro-mri"] == "synthzoo.generators.domains.neuro_mri:NeuroMRI"


def test_former_module_paths_are_the_new_modules():
    import importlib

    from synthzoo._aliases import ALIASES

    for old, new in ALIASES.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
