"""Media core: speech, lip-sync, avatar, the scene interface, the room timeline and outputs (see docs/media.md)."""
