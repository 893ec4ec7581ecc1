"""Insights keep only figures aggregated over many customers (counts, sums, segments' sizes): not personal."""

from kundportal.privacy.registry import not_personal

not_personal(
    "insights.insightsnapshot", "aggregated figures over many customers, no names or single customers"
)
