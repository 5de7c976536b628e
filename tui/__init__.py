"""sitroom's exercise room: the Textual app behind `sitroom play` (launcher, team and instructor views)."""
