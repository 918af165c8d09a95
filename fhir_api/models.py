"""Bulk Data exports: a job an administrator asked for, and the NDJSON files it made."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_id, utcnow
from core.encryption.columns import EncryptedText


class ExportJob(Base):
    __tablename__ = "fhir_export_jobs"
    __table_args__ = (Index("ix_fhir_export_jobs_status_created", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("exp"))
    requested_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, completed, failed
    types: Mapped[list[Any]] = mapped_column(default=list)  # resource types to export
    request_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class ExportFile(Base):
    """One resource type's NDJSON (one resource per line), served from the database."""

    __tablename__ = "fhir_export_files"
    __table_args__ = (Index("ix_fhir_export_files_job_id", "job_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("exf"))
    job_id: Mapped[str] = mapped_column(ForeignKey("fhir_export_jobs.id"))
    resource_type: Mapped[str] = mapped_column(String(40))
    count: Mapped[int]
    content: Mapped[str] = mapped_column(EncryptedText)  # NDJSON of patients' records: encrypted at rest
