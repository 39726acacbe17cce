"""Batch record classes for ``batch_write`` and the results of batch commands."""
