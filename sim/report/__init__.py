"""Reports: files of one run (JSON, CSV, PNG) and the printed summary."""
