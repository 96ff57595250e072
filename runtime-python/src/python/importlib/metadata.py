"""importlib.metadata (Morph stand-in): an extension's package has no
installed distributions (no `*.dist-info` on a `sys.path`), so every lookup
answers as CPython does for a package that is not installed."""

import re as _re


class PackageNotFoundError(ModuleNotFoundError):
    """The name of the distribution that was not found."""

    def __str__(self):
        return f"No package metadata was found for {self.name}"

    @property
    def name(self):
        (name,) = self.args
        return name


class EntryPoint:
    def __init__(self, name, value, group):
        self.name, self.value, self.group = name, value, group


class EntryPoints(tuple):
    """An immutable collection of entry points (always empty here)."""

    __slots__ = ()

    def __getitem__(self, name):
        if isinstance(name, int):
            return tuple.__getitem__(self, name)
        raise KeyError(name)

    def select(self, **params):
        return EntryPoints(ep for ep in self
                           if all(getattr(ep, k) == v for k, v in params.items()))

    @property
    def names(self):
        return {ep.name for ep in self}

    @property
    def groups(self):
        return {ep.group for ep in self}


def _not_found(name):
    raise PackageNotFoundError(name)


def distribution(distribution_name):
    _not_found(distribution_name)


def metadata(distribution_name):
    _not_found(distribution_name)


def version(distribution_name):
    _not_found(distribution_name)


def files(distribution_name):
    _not_found(distribution_name)


def requires(distribution_name):
    _not_found(distribution_name)


def distributions(**kwargs):
    return iter(())


def entry_points(**params):
    return EntryPoints().select(**params)


def packages_distributions():
    return {}


def _normalize(name):
    return _re.sub(r"[-_.]+", "-", name).lower()
