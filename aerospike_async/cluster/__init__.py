"""The I/O floor: connections, per-node pools, nodes and the cluster tender."""
