"""Kundportal: a self-hosted customer portal."""
