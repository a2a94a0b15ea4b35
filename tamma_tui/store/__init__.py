"""Storage: SQLModel tables, the engine factory, and the only SQL in the project."""
