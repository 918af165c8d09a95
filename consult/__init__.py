"""The clinical side: patients, doctors, consultations, formulary, prescriptions, review."""
