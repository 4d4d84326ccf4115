"""Configuration: schema, presets, URL normalisation, the TOML store, secrets and paths."""
