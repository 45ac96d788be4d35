"""Models of juiced.webhooks."""
