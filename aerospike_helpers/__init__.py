"""The documented helper builders (``aerospike_helpers``): operations,
expressions, batch records and CDT contexts, as plain values.

``HyperLogLog`` is the value type of HLL bins; it lives in
``aerospike_async.types`` and is re-exported here where the documented API
puts it.
"""

from __future__ import annotations

from aerospike_async.types import HyperLogLog

__all__ = ["HyperLogLog"]
