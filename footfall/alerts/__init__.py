"""Alerts of footfall: read the open alert episodes of the `fct_alerts` mart, notify each one
once per episode (email over SMTP, webhook), and print them (`python -m footfall.alerts`)."""
