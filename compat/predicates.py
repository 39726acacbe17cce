"""``aerospike.predicates``: the query predicates of ``aerospike_async.predicates``."""
from aerospike_async.predicates import *  # noqa: F401,F403
from aerospike_async.predicates import __all__  # noqa: F401
