"""Identifying at scale: a folder of probe images (``batch``), and every appearance of the enrolled in video.

Which way video goes: :mod:`.sources` checks the inputs and cuts them into chunks;
:mod:`.tracks` scans one chunk (search, follow, identify: what a Dask worker runs);
:mod:`.runner` schedules the chunks with ``dask.distributed`` and writes each
finished one to :mod:`.store`, the SQLite results file, which :mod:`.join` turns
into appearances; :mod:`.shards` identifies against galleries too large for one
worker, split across them; :mod:`.follow` follows a face between searches.

Imports run downwards only: ``scan`` takes ``method``, ``faces``, ``files`` and ``errors``; no Qt.
"""

from .runner import ScanProgress, ScanSummary, SchedulerError, cluster_client, run_scan
from .sources import ChunkSpec, Problem, Source, check_inputs, plan_chunks
from .store import APPEARANCE_COLUMNS, ScanStore, ScanStoreError
from .tracks import ScanOptions, scan_chunk

__all__ = ["APPEARANCE_COLUMNS", "ChunkSpec", "Problem", "ScanOptions", "ScanProgress", "ScanStore", "ScanStoreError",
           "ScanSummary", "SchedulerError", "Source", "check_inputs", "cluster_client", "plan_chunks", "run_scan",
           "scan_chunk"]
