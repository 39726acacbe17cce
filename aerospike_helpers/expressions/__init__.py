"""Expression builders (``aerospike_helpers.expressions``).

Build a tree of these classes and call ``.compile()`` on its root to get the
value for a policy's ``expressions`` key, for ``expression_operations`` or
for a filtering ``cdt_ctx``. Every builder of the submodules is exported here.
"""

from __future__ import annotations

from .arithmetic import *  # noqa: F403
from .arithmetic import __all__ as _arithmetic_all
from .base import *  # noqa: F403
from .base import __all__ as _base_all
from .bitwise import *  # noqa: F403
from .bitwise import __all__ as _bitwise_all
from .bitwise_operators import *  # noqa: F403
from .bitwise_operators import __all__ as _bitwise_operators_all
from .hll import *  # noqa: F403
from .hll import __all__ as _hll_all
from .list import *  # noqa: F403
from .list import __all__ as _list_all
from .map import *  # noqa: F403
from .map import __all__ as _map_all
from .resources import ResultType, ReturnType
from .string import *  # noqa: F403
from .string import __all__ as _string_all

# (``list`` here is the submodule, so no list(...) calls)
__all__ = ["ResultType", "ReturnType", *_base_all, *_arithmetic_all,  # noqa: PLE0604
           *_bitwise_operators_all, *_list_all, *_map_all, *_bitwise_all, *_hll_all,
           *_string_all]
