"""Media core: speech, lip-sync, avatar, compositor, the room timeline and outputs (see docs/media.md)."""
