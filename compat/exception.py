"""``aerospike.exception``: the documented exception hierarchy."""
from aerospike_async.exceptions import *  # noqa: F401,F403
from aerospike_async.exceptions import __all__  # noqa: F401
