"""The leads app's background jobs, imported here so `juiced worker` registers the scheduled ones."""

from juiced.leads import lead_events, pings  # noqa: F401
