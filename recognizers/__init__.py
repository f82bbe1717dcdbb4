"""Presidio recognizers for customer NPI, one module per entity family."""
