"""The order worker: takes placed orders off the queue and processes each exactly once."""
