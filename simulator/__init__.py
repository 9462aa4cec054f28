"""footfall's simulator of the store chain's door-sensor API (docs/simulator.md)."""
