"""Support for the test suites (pytest plugins and helpers); the running portal never imports it."""
