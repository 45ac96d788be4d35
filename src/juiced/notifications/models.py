"""Models of juiced.notifications."""
