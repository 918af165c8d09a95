"""The assistant boundary: an AI (or the rules-only provider) may suggest, never decide.

A suggestion is recorded with what the provider saw and said, passed through the gate
(assistant.gate) that drops every claim without a known source, every drug outside the formulary
and every dose over a limit, and shown to a licensed human, who may draft from it (consult's own
create_draft, with its safety checks) and must still sign it. Nothing here changes a
prescription's status: no module of this package imports the sign, review or dispensing services.
"""
