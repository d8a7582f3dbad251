"""HealthLedger detector training: data, model, fitting, selection, export, and the two protocol stages."""
