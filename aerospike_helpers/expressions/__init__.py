"""Expression builders (``aerospike_helpers.expressions``).

Only the base expressions and the core are provided so far; the arithmetic,
list, map, bitwise and HLL expression modules are still to be written.
"""

from __future__ import annotations

from .base import *  # noqa: F401,F403
from .base import __all__ as _base_all
from .resources import ResultType

__all__ = ["ResultType", *_base_all]
