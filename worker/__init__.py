"""The order worker process: signals, run loop and the pika consumer; what an order goes through is app/orders/."""
