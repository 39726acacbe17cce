"""Sans-IO codec for the Aerospike wire protocol.

Pure functions and small parsers over bytes: framing, the AS_MSG message,
particles, the msgpack dialect of collection types, key digests and the info
protocol. Nothing here performs I/O or reads the clock.
"""
