"""Builders of test data shared across the test packages."""
