"""`python -m simulator [--host H] [--port P]`: serve the sensor API with uvicorn."""

from __future__ import annotations

import argparse
import sys

import uvicorn

from footfall.settings import SettingError, SimulatorSettings


def main(argv: list[str] | None = None) -> int:
    try:
        settings = SimulatorSettings.from_env()
    except SettingError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default=settings.host, help=f"default {settings.host}")
    parser.add_argument("--port", type=int, default=settings.port, help=f"default {settings.port}")
    args = parser.parse_args(argv)

    from simulator.api import ServingApp, create_app  # once the settings are known usable

    try:
        app = create_app(settings)
    except ValueError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    state = app.state.sim
    print(
        f"footfall simulator on http://{args.host}:{args.port} (docs at /docs): "
        f"{len(state.stores)} stores, profile {state.config.profile.name}, "
        f"clock {state.clock.mode} at {state.clock.now():%Y-%m-%dT%H:%M:%S}Z",
        flush=True,
    )
    uvicorn.run(
        ServingApp(app), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
