"""footfall: shared pieces of the pipeline (settings, serving snapshot, alerts, schedule)."""
