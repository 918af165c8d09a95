"""Encryption at rest for patient data: the key ring, encrypted column types, key rotation."""
