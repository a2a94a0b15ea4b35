"""Widgets: they receive plain view-models and post intent messages; none touch the DB."""
