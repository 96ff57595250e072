"""zipimport (Morph stand-in): importable; importing from zip archives on
disk is refused (the sandbox has no file system)."""


class ZipImportError(ImportError):
    pass


class zipimporter:
    """Refused: there are no archives on disk to import from."""

    def __init__(self, path):
        raise ZipImportError("morph sandbox: no zip archives to import from (%r)" % (path,))
