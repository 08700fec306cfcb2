"""Open Referral HSDS 3.0: export and import of a task force's directory (JSON and the CSV tabular package)."""
