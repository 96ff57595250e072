"""importlib.machinery (Morph stand-in): the finders and loaders that exist
in the sandbox (built-in and frozen modules), and the suffix lists libraries
read. There are no file-system finders or loaders."""

from ._bootstrap import ModuleSpec, BuiltinImporter, FrozenImporter  # noqa: F401

SOURCE_SUFFIXES = [".py"]
DEBUG_BYTECODE_SUFFIXES = [".pyc"]
OPTIMIZED_BYTECODE_SUFFIXES = [".pyc"]
BYTECODE_SUFFIXES = [".pyc"]
EXTENSION_SUFFIXES = []


def all_suffixes():
    return SOURCE_SUFFIXES + BYTECODE_SUFFIXES + EXTENSION_SUFFIXES
