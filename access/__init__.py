"""footfall's read API: the serving snapshot over HTTP, with keys (docs/access.md).

`python -m access` (`make api`) serves it on FOOTFALL_ACCESS_HOST:FOOTFALL_ACCESS_PORT; the
app is `access.main.create_app()`.
"""
