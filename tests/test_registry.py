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
    assert [e.source for e in reg.entries()] == ["builtin", "builtin"]


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
