"""The exceptions rhetorix raises for problems a user can fix (all are ValueErrors)."""

__all__ = ["BundleError", "BatchError", "ReportError"]


class BundleError(ValueError):
    """A model bundle is missing, damaged, or of an unsupported format."""


class BatchError(ValueError):
    """A problem with a batch run itself (bad options, unusable input or output), not with a record."""


class ReportError(ValueError):
    """A batch output file that cannot be read as one."""
