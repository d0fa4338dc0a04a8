"""The exceptions rhetorix raises for problems a user can fix (all are ValueErrors)."""

__all__ = ["BundleError", "BatchError", "ReportError", "extra_required"]


class BundleError(ValueError):
    """A model bundle is missing, damaged, or of an unsupported format."""


class BatchError(ValueError):
    """A problem with a batch run itself (bad options, unusable input or output), not with a record."""


class ReportError(ValueError):
    """A batch output file that cannot be read as one."""


def extra_required(extra: str, what: str) -> ImportError:
    """The error for a feature whose optional dependencies are missing, naming the extra to install."""
    return ImportError(f"{what} needs the {extra} extra: pip install 'rhetorix[{extra}]'")
