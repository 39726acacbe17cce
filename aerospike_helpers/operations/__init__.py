"""Builders of operation dicts for ``operate`` and ``operate_ordered``."""
