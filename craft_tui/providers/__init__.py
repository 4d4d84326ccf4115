"""The async driver layer: wire protocols, model discovery and error mapping. Knows httpx, never Textual."""
