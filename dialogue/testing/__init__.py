"""Test tooling shared by the apps' tests (browser fixtures and checks)."""
