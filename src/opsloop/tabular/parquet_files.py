"""Parquet files written whole: a reader (a monitor, a scan of the folder) sees a file
completely or not at all. Used by the data collector and by posted ground truth."""

from __future__ import annotations

import logging
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

# Object stores publish an object only once its upload completes, so a reader never sees half
# a file and a rename (copy + delete there) would only double the cost. Everywhere else
# (local disks, memory://, sftp, ...) we write a hidden temporary name and rename it.
ATOMIC_PUT = {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl"}


def atomic_put(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol  # a name or a tuple of names
    return not ATOMIC_PUT.isdisjoint((protocol,) if isinstance(protocol, str) else protocol)


def write_table(
    fs: fsspec.AbstractFileSystem, atomic: bool, folder: str, final: str, table: pa.Table
) -> None:
    """Write ``table`` to ``final`` so that a reader sees the whole file or none of it."""
    fs.makedirs(folder, exist_ok=True)
    if atomic:
        with fs.open(final, "wb") as handle:
            pq.write_table(table, handle)
        return
    temporary = f"{folder}/.{uuid.uuid4()}.parquet.tmp"
    try:
        with fs.open(temporary, "wb") as handle:
            pq.write_table(table, handle)
        fs.mv(temporary, final)
    except BaseException:
        try:
            fs.rm(temporary)
        except Exception:  # the write may never have created it
            logger.debug("could not remove %s", temporary, exc_info=True)
        raise
