"""The one mail path: shortcodes, composing into the outbox, sending, tracking, campaigns."""
