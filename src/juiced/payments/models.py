"""Models of juiced.payments."""
