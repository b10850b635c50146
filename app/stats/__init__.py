"""Activity events and period-over-period statistics (CONTRACT §5).

Read in this order: models (the `activities` table), schemas (what the CRM may
send), ingest (idempotent storing), periods (calendar periods in the configured
zone), metrics (one SQL aggregate per metric), aggregate (one GROUP BY per source),
trend (this period against the last), report (the answers), chart (the SVG).
"""
