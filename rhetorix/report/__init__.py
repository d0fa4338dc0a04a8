"""HTML reports: one scored document (:mod:`.document`), or an index page comparing the
documents of ``rhetorix batch`` output (:mod:`.index`)."""

from ..errors import ReportError
from ..io.formats import batch_output_format
from ..io.readers import read_batch_output
from .document import document_html
from .index import index_html
from .page import CUE_STYLES, OPINION_TINTS

__all__ = [
    "document_html", "index_html", "read_batch_output", "batch_output_format", "ReportError",
    "CUE_STYLES", "OPINION_TINTS",
]
