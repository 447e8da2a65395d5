"""Plumbing under the features: the order relay and queue to RabbitMQ (or in-process), the hand-written SQL of
the order path and what "the database is down" means, background loops, back-off, and what a failing Redis raises."""
