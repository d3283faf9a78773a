"""Tests of the local paper exchange (bitget_nb.exchange)."""
