"""The triage model: classifier, calibration, tier policy, reasons, uncertainty, baselines."""
