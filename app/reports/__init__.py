"""What the bakery sold over a range of days: the figures behind /staff/reports and its CSV exports."""
