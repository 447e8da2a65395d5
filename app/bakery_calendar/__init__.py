"""The bakery's calendar: opening hours, closed days, pickup slots and when an order can be ready."""
