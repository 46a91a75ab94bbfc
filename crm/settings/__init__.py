"""Admin settings: every blueprint here is admin-only (reps get 403)."""
