"""Signal receivers of the messaging app (none yet: other apps call messaging.notifications directly)."""
