"""Automation: queues, jobs, sweeps; the trigger engine and scenarios build on these."""
