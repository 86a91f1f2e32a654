"""Client import: a CSV or XLSX file read as a stream, mapped to client fields, checked in a dry run,
then written row by row through the client services by a Celery task."""
