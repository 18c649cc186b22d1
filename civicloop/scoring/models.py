"""Assessment schemes, period computations, published ranking snapshots."""
