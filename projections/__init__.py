"""Read models (one module per projection, with its view interface).

The projections themselves arrive with the read-side issue; the log reader
they will consume (``application.ports.EventLog.read``) exists already.
"""
