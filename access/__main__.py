"""`python -m access`: serve the read API (FOOTFALL_ACCESS_HOST:FOOTFALL_ACCESS_PORT)."""

from __future__ import annotations

import sys

import uvicorn

from access.main import create_app
from footfall import settings


def main() -> int:
    try:
        config = settings.access()
    except settings.SettingError as exc:
        print(f"footfall API: {exc}", file=sys.stderr)
        return 2
    if not config.keys:
        print(
            "footfall API: no keys configured (FOOTFALL_ACCESS_KEYS): every request but /health "
            "will get 401. Set FOOTFALL_ACCESS_KEYS=key1,key2 to let clients in.",
            file=sys.stderr,
        )
    print(f"footfall API at http://{config.host}:{config.port} (OpenAPI page: /docs)", flush=True)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
