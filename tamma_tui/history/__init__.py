"""History: lineage, change points, drift vs config regression, the CI gate, flakiness and
optimisation effectiveness, over stored runs (an analysis-level room: it reads the store and
the statistics, and knows nothing of services, the CLI or the app)."""
