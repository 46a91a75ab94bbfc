"""Sales-automation scenarios: step kinds, timing, the engine that walks enrollments."""
